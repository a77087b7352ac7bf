{{ config(indexes=[{'columns': ['creator_id']}, {'columns': ['video_id'], 'unique': true}]) }}

with

videos as (

    select
        video_id,
        creator_id,
        title,
        duration_seconds,
        created_at
    from {{ ref('int_course_videos') }}

),

views as (

    select
        video_id,
        count(*) as total_views,
        count(distinct student_id) as unique_viewers,
        avg(watch_fraction) as avg_watch_fraction,
        avg(case when is_completed then 1.0 else 0.0 end) as completion_rate,
        sum(watch_duration_seconds) as watch_seconds
    from {{ ref('fct_video_views') }}
    group by video_id

),

biggest_drop as (

    select
        video_id,
        position_pct,
        drop_from_previous_point,
        row_number() over (
            partition by video_id order by drop_from_previous_point desc, position_pct asc
        ) as drop_rank
    from {{ ref('video_retention_curve') }}
    where position_pct > 0 and drop_from_previous_point > 0

),

final as (

    select
        videos.video_id,
        videos.creator_id,
        videos.title,
        videos.duration_seconds,
        videos.created_at,
        coalesce(views.total_views, 0) as total_views,
        coalesce(views.unique_viewers, 0) as unique_viewers,
        views.avg_watch_fraction,
        views.completion_rate,
        coalesce(views.watch_seconds, 0) as watch_seconds,
        biggest_drop.position_pct as biggest_drop_off_pct,
        biggest_drop.drop_from_previous_point as biggest_drop_off_share,
        case
            when views.avg_watch_fraction is null then null
            when views.avg_watch_fraction < 0.30 then 'low'
            when views.avg_watch_fraction <= 0.60 then 'average'
            else 'high'
        end as completion_band

    from videos
    left join views on videos.video_id = views.video_id
    left join biggest_drop on videos.video_id = biggest_drop.video_id and biggest_drop.drop_rank = 1

)

select
    video_id,
    creator_id,
    title,
    duration_seconds,
    created_at,
    total_views,
    unique_viewers,
    avg_watch_fraction,
    completion_rate,
    watch_seconds,
    biggest_drop_off_pct,
    biggest_drop_off_share,
    completion_band
from final
