{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

videos as (

    select
        created_on,
        status,
        reached_processing,
        credits_used,
        minutes_to_complete
    from {{ ref('int_video_pipeline_stages') }}

),

per_day as (

    select
        created_on,
        count(*) as videos_started,
        count(case when reached_processing then 1 end) as videos_reached_processing,
        count(case when status = 'completed' then 1 end) as videos_completed,
        count(case when status = 'failed' then 1 end) as videos_failed,
        count(case when status = 'processing' then 1 end) as videos_still_processing,
        count(case when status = 'draft' then 1 end) as videos_still_draft,
        cast(avg(minutes_to_complete) as numeric) as avg_minutes_to_complete,
        sum(case when status = 'completed' then credits_used else 0 end) as credits_on_completed
    from videos
    group by created_on

)

select
    days.date_day,
    coalesce(per_day.videos_started, 0) as videos_started,
    coalesce(per_day.videos_reached_processing, 0) as videos_reached_processing,
    coalesce(per_day.videos_completed, 0) as videos_completed,
    coalesce(per_day.videos_failed, 0) as videos_failed,
    coalesce(per_day.videos_still_processing, 0) as videos_still_processing,
    coalesce(per_day.videos_still_draft, 0) as videos_still_draft,
    per_day.videos_reached_processing * 1.0 / nullif(per_day.videos_started, 0) as processing_rate,
    per_day.videos_completed * 1.0 / nullif(per_day.videos_started, 0) as completion_rate,
    per_day.videos_failed * 1.0 / nullif(per_day.videos_reached_processing, 0) as failure_rate,
    per_day.avg_minutes_to_complete,
    coalesce(per_day.credits_on_completed, 0) as credits_on_completed,
    per_day.credits_on_completed * 1.0 / nullif(per_day.videos_completed, 0) as credits_per_completed_video
from days
left join per_day on days.date_day = per_day.created_on
