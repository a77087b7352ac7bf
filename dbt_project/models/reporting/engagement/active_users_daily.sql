{#- Incremental: a day's DAU, WAU and MAU depend only on which users were active on it and the 29 days before.
    Each run compares every built day's active users (count and a checksum of their ids) with the activity the
    warehouse holds now, and rebuilds from the first day that differs or is new. That catches activity that
    landed late, deletions and restamped days alike, with no landing-time bookkeeping; a full rebuild joins every
    day to 30 days of activity, which grows with history. -#}
{{ config(
    materialized='incremental',
    unique_key='date_day',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['date_day'], 'unique': true}, {'columns': ['built_at']}],
) }}

{% set incremental = incremental_with_columns(['date_day', 'dau', 'active_users_checksum']) %}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

activity as (

    select
        user_id,
        activity_date
    from {{ ref('int_user_daily_activity') }}

),

{% if incremental %}

    active_users_now as (

        select
            activity_date,
            count(*) as dau,
            {{ id_set_checksum('user_id') }} as active_users_checksum
        from activity
        group by activity_date

    ),

    first_changed_day as (

        -- The first day whose active users are not what the table holds (or that it does not hold yet).
        select min(days.date_day) as date_day
        from days
        left join {{ this }} as built on days.date_day = built.date_day
        left join active_users_now on days.date_day = active_users_now.activity_date
        where
            built.date_day is null
            or built.dau <> coalesce(active_users_now.dau, 0)
            or built.active_users_checksum <> coalesce(active_users_now.active_users_checksum, 0)

    ),

{% endif %}

days_to_build as (

    select days.date_day
    from days
    {% if incremental %}
        where days.date_day >= (select first_changed_day.date_day from first_changed_day)
    {% endif %}

),

activity_in_reach as (

    -- Activity inside the 30-day window of some day being built.
    select
        activity.user_id,
        activity.activity_date
    from activity
    where
        activity.activity_date
        > (select {{ dbt.dateadd('day', -30, 'min(days_to_build.date_day)') }} from days_to_build)

),

windows as (

    select
        days_to_build.date_day,
        count(distinct case
            when activity_in_reach.activity_date = days_to_build.date_day then activity_in_reach.user_id
        end) as dau,
        count(distinct case
            when
                activity_in_reach.activity_date > {{ dbt.dateadd('day', -7, 'days_to_build.date_day') }}
                then activity_in_reach.user_id
        end) as wau,
        count(distinct activity_in_reach.user_id) as mau,
        coalesce({{ id_set_checksum(
            'case when activity_in_reach.activity_date = days_to_build.date_day then activity_in_reach.user_id end'
        ) }}, 0) as active_users_checksum
    from days_to_build
    left join activity_in_reach
        on
            days_to_build.date_day >= activity_in_reach.activity_date
            and activity_in_reach.activity_date > {{ dbt.dateadd('day', -30, 'days_to_build.date_day') }}
    group by days_to_build.date_day

)

select
    date_day,
    dau,
    wau,
    mau,
    dau * 1.0 / nullif(mau, 0) as stickiness,
    active_users_checksum,
    {{ build_stamp() }} as built_at
from windows
