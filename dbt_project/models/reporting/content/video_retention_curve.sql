{#- Incremental: a video's curve depends only on its own views, so each run rebuilds the curves of the videos
    with a view (or the video itself) landed since the last build, less the lookback, and retires those of videos
    gone from the app; the other curves stay. Both reads of int_course_videos name it directly (a CTE read twice
    is materialized whole): the changed videos come by its and fct_video_views' loaded_at indexes, their views
    by fct_video_views' video_id index. Views hard-deleted in the app stay in fct_video_views, and so in
    these curves, until the full resync that the pipeline pairs with a full refresh. -#}
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

with

{% if incremental %}

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

    select
        fct_video_views.video_id,
        course_videos.creator_id,
        fct_video_views.watch_fraction,
        fct_video_views.is_completed,
        fct_video_views.loaded_at
    from {{ ref('fct_video_views') }} as fct_video_views
    inner join {{ ref('int_course_videos') }} as course_videos on fct_video_views.video_id = course_videos.video_id
    {% if incremental %}
        where fct_video_views.video_id in (select changed_videos.video_id from changed_videos)
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
        loaded_at
    from views

),

last_point_reached as (

    select
        video_id,
        creator_id,
        point_index,
        count(*) as views,
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
