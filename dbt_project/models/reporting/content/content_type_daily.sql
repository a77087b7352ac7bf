{{ config(indexes=[{'columns': ['date_day']}]) }}

with

videos as (

    select
        created_on,
        content_type
    from {{ ref('int_video_pipeline_stages') }}

),

per_type as (

    select
        created_on as date_day,
        content_type,
        count(*) as videos_created
    from videos
    group by created_on, content_type

)

select
    date_day,
    content_type,
    videos_created,
    videos_created * 1.0 / sum(videos_created) over (partition by date_day) as share_of_day
from per_type
