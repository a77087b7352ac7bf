{#- Incremental: a video's curve depends only on its own views. Each run first adjusts the curves of the videos
    whose views changed by the changes alone (macro versions_since_last_build): fct_video_views' versions written
    since this model's last build add one viewer at every point up to the one they reach, those retired since take
    one away, so a new view costs its video 21 rows, not a read of all its views. A video is rebuilt from all its
    views instead when it has no curve yet, when it changed in int_course_videos (its creator) or when a view of it
    was retired with no new version (a full refresh of fct_video_views dropping a view: its newest landing may go
    back). Without that stamp (a first build, a publication this model missed) the videos with a view or the video
    itself landed since the last build, less the lookback, are rebuilt. Videos gone from the app are retired
    (pre-hook). Both reads of int_course_videos name it directly (a CTE read twice is materialized whole).
    Views hard-deleted in the app stay in fct_video_views, and so in these curves, until the full resync that the
    pipeline pairs with a full refresh. The curves as built are read from the store's current versions (what this
    model's view shows in the build schema) by its (video_id, position_pct) index: through the view, whose watermark
    the planner cannot see, it scanned the store's built_at index instead. -#}
{{ config(
    materialized='incremental',
    unique_key=['video_id', 'position_pct'],
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['video_id', 'position_pct'], 'unique': True},
        {'columns': ['creator_id']},
        {'columns': ['built_at']},
    ],
    pre_hook="{{ retire_vanished_entities('video_id', ref('int_course_videos')) }}",
    post_hook="{{ landed_index('views_loaded_at') }}",
) }}

{% set incremental = incremental_with_columns(['video_id', 'views_loaded_at']) %}
{% set since = versions_since_last_build() if incremental else none %}

with

{% if since %}

    view_versions as (

        -- fct_video_views' versions written since this model's last build (+1) and retired since (-1): one written
        -- and retired since cancels out.
        select
            video_id,
            view_id,
            is_completed,
            watch_fraction,
            loaded_at,
            1 as sign
        from {{ versioned_store(ref('fct_video_views')) }}
        where built_at > cast('{{ since }}' as timestamp with time zone)

        union all

        select
            video_id,
            view_id,
            is_completed,
            watch_fraction,
            cast(null as timestamp with time zone) as loaded_at,
            -1 as sign
        from {{ versioned_store(ref('fct_video_views')) }}
        where retired_at > cast('{{ since }}' as timestamp with time zone)

    ),

    rebuilt_videos as (

        -- Rebuilt from all their views: the videos that changed in int_course_videos, those with no curve yet, and
        -- those with a view retired and not written again.
        select course_videos.video_id
        from {{ ref('int_course_videos') }} as course_videos
        where course_videos.loaded_at >= {{ incremental_lower_bound('views_loaded_at') }}

        union

        select view_versions.video_id
        from view_versions
        where
            not exists (
                select 1 from {{ versioned_store(this) }} as built
                where built.video_id = view_versions.video_id and built.retired_at is null
            )

        union

        select retired.video_id
        from view_versions as retired
        where
            retired.sign = -1
            and not exists (
                select 1 from view_versions as written
                where
                    written.sign = 1
                    and written.view_id = retired.view_id
                    and written.video_id = retired.video_id
            )

    ),

    changed_videos as (

        select rebuilt_videos.video_id
        from rebuilt_videos

    ),

    adjusted_videos as (

        select view_versions.video_id
        from view_versions

        except

        select rebuilt_videos.video_id
        from rebuilt_videos

    ),

{% elif incremental %}

    changed_videos as (

        select fct_video_views.video_id
        from {{ ref('fct_video_views') }} as fct_video_views
        where fct_video_views.loaded_at >= {{ incremental_lower_bound('views_loaded_at') }}

        union

        select course_videos.video_id
        from {{ ref('int_course_videos') }} as course_videos
        where course_videos.loaded_at >= {{ incremental_lower_bound('views_loaded_at') }}

    ),

{% endif %}

views as (

    -- One row per view of the rebuilt videos (every video on a full build), weight 1.
    select
        fct_video_views.video_id,
        course_videos.creator_id,
        fct_video_views.watch_fraction,
        fct_video_views.is_completed,
        1 as weight,
        fct_video_views.loaded_at
    from {{ ref('fct_video_views') }} as fct_video_views
    inner join {{ ref('int_course_videos') }} as course_videos on fct_video_views.video_id = course_videos.video_id
    {% if incremental %}
        where fct_video_views.video_id in (select changed_videos.video_id from changed_videos)
    {% endif %}

    {% if since %}

        union all

        -- The view versions of the adjusted videos, weight +1 written / -1 retired, under their built creator.
        select
            view_versions.video_id,
            built.creator_id,
            view_versions.watch_fraction,
            view_versions.is_completed,
            view_versions.sign as weight,
            view_versions.loaded_at
        from view_versions
        inner join {{ versioned_store(this) }} as built
            on
                view_versions.video_id = built.video_id
                and built.position_pct = 0
                and built.retired_at is null
        where view_versions.video_id in (select adjusted_videos.video_id from adjusted_videos)

    {% endif %}

),

points as (

    select cast((generated_number - 1) * 5 as integer) as position_pct
    from ({{ dbt.generate_series(21) }}) as series

),

-- Each view counted once, at the last 5% point it reached (index 0-20, null when it reached none): the curve is
-- then a running sum over the points, instead of every view tested against every point. A view the app marked
-- completed (the student reached the end; the app's threshold is 90%) reaches 100: it never drops off, only
-- students who stopped watching do, at their watch percentage (the Creator Dashboard doc's "where students stop
-- watching").
view_reach as (

    select
        video_id,
        creator_id,
        case
            when is_completed then 20
            when watch_fraction * 100 >= 0 then least(floor(watch_fraction * 100 / 5), 20)
        end as point_index,
        weight,
        loaded_at
    from views

    {% if since %}

        union all

        -- The adjusted videos' curves as built, turned back into views per last point reached: at point p those
        -- remaining there less those remaining at the next point, at 100 those remaining; no point, the views
        -- that never reached 0.
        select
            video_id,
            creator_id,
            cast(position_pct / 5 as integer) as point_index,
            viewers_remaining
            - coalesce(lead(viewers_remaining) over (partition by video_id order by position_pct), 0) as weight,
            views_loaded_at as loaded_at
        from {{ versioned_store(this) }}
        where retired_at is null and video_id in (select adjusted_videos.video_id from adjusted_videos)

        union all

        select
            video_id,
            creator_id,
            cast(null as integer) as point_index,
            total_views - viewers_remaining as weight,
            views_loaded_at as loaded_at
        from {{ versioned_store(this) }}
        where
            retired_at is null
            and position_pct = 0
            and video_id in (select adjusted_videos.video_id from adjusted_videos)

    {% endif %}

),

last_point_reached as (

    select
        video_id,
        creator_id,
        point_index,
        sum(weight) as views,
        max(loaded_at) as loaded_at
    from view_reach
    group by video_id, creator_id, point_index

),

video_totals as (

    select
        video_id,
        creator_id,
        cast(sum(views) as bigint) as total_views,
        max(loaded_at) as views_loaded_at
    from last_point_reached
    group by video_id, creator_id

),

viewers_per_point as (

    select
        video_totals.video_id,
        video_totals.creator_id,
        points.position_pct,
        video_totals.total_views,
        video_totals.views_loaded_at,
        cast(coalesce(sum(last_point_reached.views) over (
            partition by video_totals.video_id order by points.position_pct desc rows unbounded preceding
        ), 0) as bigint) as viewers_remaining
    from video_totals
    cross join points
    left join last_point_reached
        on
            video_totals.video_id = last_point_reached.video_id
            and points.position_pct = last_point_reached.point_index * 5

),

curve as (

    select
        video_id,
        creator_id,
        position_pct,
        total_views,
        viewers_remaining,
        viewers_remaining * 1.0 / nullif(total_views, 0) as share_remaining,
        views_loaded_at,
        lag(viewers_remaining) over (partition by video_id order by position_pct) as viewers_at_previous_point
    from viewers_per_point

)

select
    video_id,
    creator_id,
    position_pct,
    total_views,
    viewers_remaining,
    share_remaining,
    coalesce(viewers_at_previous_point - viewers_remaining, 0) as viewers_dropped,
    coalesce(viewers_at_previous_point - viewers_remaining, 0) * 1.0
    / nullif(total_views, 0) as drop_from_previous_point,
    views_loaded_at,
    {{ build_stamp() }} as built_at
from curve
