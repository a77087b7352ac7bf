{#- Incremental: each run rebuilds only the users whose history may have changed (new users, users with activity
    landed since the last build, users whose totals no longer match because something was deleted) from the
    earliest day their change can reach, and carries every other user forward to the days added since. A full
    rebuild writes users x days rows, which grows with history; this writes what changed. Hard deletes reach the
    raw tables only in a full resync, which the pipeline pairs with a full refresh. -#}
{{ config(
    materialized='incremental',
    unique_key=['user_id', 'date_day'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['user_id', 'date_day'], 'unique': True}, {'columns': ['date_day']}],
    pre_hook="{{ delete_vanished_entities('user_id', ref('dim_users'), day_column='date_day') }}",
) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

users as (

    select
        user_id,
        signup_date
    from {{ ref('dim_users') }}

),

activity as (

    select
        user_id,
        activity_date,
        videos_created,
        videos_finished,
        videos_completed,
        loaded_at
    from {{ ref('int_user_daily_activity') }}

),

{% if is_incremental() %}

    built as (

        -- Every user's figures on the newest day the last build reached: the carried-forward days start here.
        select
            user_id,
            date_day,
            last_active_date,
            videos_to_date,
            first_week_videos,
            avg_completion,
            active_days_to_date,
            activity_loaded_at
        from {{ this }}
        where date_day = (select max(newest.date_day) from {{ this }} as newest)

    ),

    activity_totals as (

        -- The same totals from the activity the warehouse holds now: a deleted video or prompt makes them differ.
        select
            activity.user_id,
            sum(activity.videos_created) as videos_to_date,
            count(*) as active_days_to_date,
            max(activity.activity_date) as last_active_date
        from activity
        inner join built
            on
                activity.user_id = built.user_id
                and activity.activity_date <= built.date_day
        group by activity.user_id

    ),

    changed_activity as (

        -- Activity that landed since the last build (less the lookback): its day is the first one it can change.
        select
            user_id,
            min(activity_date) as rebuild_from
        from activity
        where loaded_at >= {{ incremental_lower_bound('activity_loaded_at', 'built') }}
        group by user_id

    ),

    user_changes as (

        select
            users.user_id,
            users.signup_date,
            {{ dbt.dateadd('day', 1, 'built.date_day') }} as first_new_day,
            changed_activity.rebuild_from as changed_from,
            (
                built.user_id is null
                or built.videos_to_date is distinct from coalesce(activity_totals.videos_to_date, 0)
                or built.active_days_to_date is distinct from coalesce(activity_totals.active_days_to_date, 0)
                or built.last_active_date
                is distinct from coalesce(activity_totals.last_active_date, users.signup_date)
            ) as is_rebuilt_from_signup
        from users
        left join built on users.user_id = built.user_id
        left join activity_totals on users.user_id = activity_totals.user_id
        left join changed_activity on users.user_id = changed_activity.user_id

    ),

    rebuilt_users as (

        -- New users and users whose totals moved (a deletion) from sign-up; users with new activity from its day.
        select
            user_id,
            case
                when is_rebuilt_from_signup then signup_date
                else least(changed_from, first_new_day)
            end as rebuild_from
        from user_changes
        where is_rebuilt_from_signup or changed_from is not null

    ),

    new_days as (

        select days.date_day
        from days
        where days.date_day > (select max(built.date_day) from built)

    ),

    carried_forward as (

        -- Users with nothing new: the newest built day's figures hold on every day added since.
        select
            built.user_id,
            new_days.date_day,
            built.last_active_date,
            {{ dbt.datediff('built.last_active_date', 'new_days.date_day', 'day') }} as days_inactive,  -- noqa: LT05
            {{ dbt.datediff('users.signup_date', 'new_days.date_day', 'day') }} as account_age_days,  -- noqa: LT05
            built.videos_to_date,
            built.first_week_videos,
            built.avg_completion,
            built.active_days_to_date,
            built.activity_loaded_at
        from built
        inner join users on built.user_id = users.user_id
        cross join new_days
        where not exists (
            select 1 from rebuilt_users
            where rebuilt_users.user_id = built.user_id
        )

    ),

{% endif %}

users_to_build as (

    select
        users.user_id,
        users.signup_date,
        {% if is_incremental() %}
            rebuilt_users.rebuild_from
        {% else %}
            users.signup_date as rebuild_from
        {% endif %}
    from users
    {% if is_incremental() %}
        inner join rebuilt_users on users.user_id = rebuilt_users.user_id
    {% endif %}

),

user_days as (

    select
        users_to_build.user_id,
        users_to_build.signup_date,
        days.date_day
    from users_to_build
    inner join days on users_to_build.signup_date <= days.date_day

),

timeline as (

    -- Each user's days and activity in one stream, activity first within a day: running totals over it give
    -- every day's figures to date in one pass (a range join of days to all earlier activity grew with days
    -- squared).
    select
        user_id,
        signup_date,
        date_day,
        true as is_day,
        null as activity_date,
        null as videos_created,
        null as first_week_videos,
        null as videos_finished,
        null as videos_completed,
        null as loaded_at
    from user_days

    union all

    select
        activity.user_id,
        users_to_build.signup_date,
        activity.activity_date as date_day,
        false as is_day,
        activity.activity_date,
        activity.videos_created,
        case
            when activity.activity_date < {{ dbt.dateadd('day', 7, 'users_to_build.signup_date') }}
                then activity.videos_created
        end as first_week_videos,
        activity.videos_finished,
        activity.videos_completed,
        activity.loaded_at
    from activity
    inner join users_to_build on activity.user_id = users_to_build.user_id

),

to_date as (

    select
        user_id,
        signup_date,
        date_day,
        is_day,
        coalesce(max(activity_date) over running, signup_date) as last_active_date,
        coalesce(sum(videos_created) over running, 0) as videos_to_date,
        coalesce(sum(first_week_videos) over running, 0) as first_week_videos,
        100.0 * sum(videos_completed) over running / nullif(sum(videos_finished) over running, 0) as avg_completion,
        count(activity_date) over running as active_days_to_date,
        max(loaded_at) over running as activity_loaded_at
    from timeline
    window running as (partition by user_id order by date_day, is_day rows unbounded preceding)

),

rebuilt as (

    select
        to_date.user_id,
        to_date.date_day,
        to_date.last_active_date,
        {{ dbt.datediff('to_date.last_active_date', 'to_date.date_day', 'day') }} as days_inactive,  -- noqa: LT05
        {{ dbt.datediff('to_date.signup_date', 'to_date.date_day', 'day') }} as account_age_days,  -- noqa: LT05
        to_date.videos_to_date,
        to_date.first_week_videos,
        to_date.avg_completion,
        to_date.active_days_to_date,
        to_date.activity_loaded_at
    from to_date
    inner join users_to_build on to_date.user_id = users_to_build.user_id
    where
        to_date.is_day
        and to_date.date_day >= users_to_build.rebuild_from

),

user_days_to_date as (

    select
        user_id,
        date_day,
        last_active_date,
        days_inactive,
        account_age_days,
        videos_to_date,
        first_week_videos,
        avg_completion,
        active_days_to_date,
        activity_loaded_at
    from rebuilt
    {% if is_incremental() %}
        union all
        select
            user_id,
            date_day,
            last_active_date,
            days_inactive,
            account_age_days,
            videos_to_date,
            first_week_videos,
            avg_completion,
            active_days_to_date,
            activity_loaded_at
        from carried_forward
    {% endif %}

)

select
    user_id,
    date_day,
    last_active_date,
    days_inactive,
    account_age_days,
    videos_to_date,
    first_week_videos,
    avg_completion,
    {{ engagement_tier('days_inactive', 'videos_to_date', 'first_week_videos', 'account_age_days',
                       'coalesce(avg_completion, 0)') }} as engagement_tier,
    active_days_to_date,
    activity_loaded_at
from user_days_to_date
