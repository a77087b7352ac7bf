{{ config(indexes=[{'columns': ['video_id']}, {'columns': ['creator_id']}]) }}

with

views as (

    select
        video_id,
        creator_id,
        watch_fraction
    from {{ ref('fct_video_views') }}

),

points as (

    select cast((generated_number - 1) * 5 as integer) as position_pct
    from ({{ dbt.generate_series(21) }}) as series

),

viewers_at_point as (

    select
        views.video_id,
        views.creator_id,
        points.position_pct,
        count(case when views.watch_fraction * 100 >= points.position_pct then 1 end) as viewers_remaining,
        count(*) as views

    from views
    cross join points
    group by views.video_id, views.creator_id, points.position_pct

),

curve as (

    select
        video_id,
        creator_id,
        position_pct,
        viewers_remaining,
        viewers_remaining * 1.0 / nullif(views, 0) as share_remaining
    from viewers_at_point

)

select
    video_id,
    creator_id,
    position_pct,
    viewers_remaining,
    share_remaining,
    coalesce(
        lag(share_remaining) over (partition by video_id order by position_pct) - share_remaining, 0
    ) as drop_from_previous_point
from curve
