{{ config(indexes=[{'columns': ['date_day']}]) }}

with

videos as (

    select
        cast(created_at as date) as date_day,
        content_type,
        count(*) as videos_created
    from {{ ref('stg_app__videos') }}
    group by cast(created_at as date), content_type

)

select
    date_day,
    content_type,
    videos_created,
    videos_created * 1.0 / sum(videos_created) over (partition by date_day) as share_of_day
from videos
