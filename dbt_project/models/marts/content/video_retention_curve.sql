{{ config(indexes=[{'columns': ['video_id']}, {'columns': ['creator_id']}]) }}

with

course_videos as (

    select
        video_id,
        creator_id
    from {{ ref('stg_app__videos') }}
    where creator_id is not null

),

views as (

    select
        fct_video_views.video_id,
        course_videos.creator_id,
        fct_video_views.watch_fraction
    from {{ ref('fct_video_views') }} as fct_video_views
    inner join course_videos on fct_video_views.video_id = course_videos.video_id

),

points as (

    select cast((generated_number - 1) * 5 as integer) as position_pct
    from ({{ dbt.generate_series(21) }}) as series

),

viewers_per_point as (

    select
        views.video_id,
        views.creator_id,
        points.position_pct,
        count(*) as total_views,
        count(case when views.watch_fraction * 100 >= points.position_pct then 1 end) as viewers_remaining
    from views
    cross join points
    group by views.video_id, views.creator_id, points.position_pct

),

curve as (

    select
        video_id,
        creator_id,
        position_pct,
        total_views,
        viewers_remaining,
        viewers_remaining * 1.0 / nullif(total_views, 0) as share_remaining,
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
    / nullif(total_views, 0) as drop_from_previous_point
from curve
