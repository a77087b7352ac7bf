{#- The Creator Dashboard doc's daily_active_users: video_progress grouped by DATE(last_watched) — a view counts on the
    day the student last watched it (fct_video_views.watched_on), not the day it started. -#}
{{ config(indexes=[{'columns': ['creator_id', 'date_day']}]) }}

with

views as (

    select
        creator_id,
        watched_on as date_day,
        student_id,
        video_id,
        watch_duration_seconds
    from {{ ref('fct_video_views') }}

)

select
    creator_id,
    date_day,
    count(distinct student_id) as active_students,
    count(distinct video_id) as videos_watched,
    count(*) as views,
    sum(watch_duration_seconds) as watch_seconds
from views
group by creator_id, date_day
