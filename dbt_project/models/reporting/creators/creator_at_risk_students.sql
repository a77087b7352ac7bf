{{ config(indexes=[{'columns': ['creator_id']}]) }}

with

clock as (

    select {{ reporting_date() }} as today

),

today as (

    -- The spell covering the reporting date: its tier and figures hold that day.
    select
        spells.student_id,
        spells.creator_id,
        spells.engagement_tier,
        spells.last_active_date,
        {{ dbt.datediff('spells.last_active_date', 'clock.today', 'day') }} as days_inactive,  -- noqa: LT05
        spells.videos_to_date,
        spells.avg_completion
    from {{ ref('fct_student_engagement_spells') }} as spells
    cross join clock
    where
        {{ spell_covering('spells', 'clock.today') }}
        and spells.engagement_tier in ('at_risk', 'inactive', 'low_engagement')

),

last_views as (

    select
        student_id,
        video_id,
        row_number() over (partition by student_id order by last_watched_at desc, view_id desc) as recency
    from {{ ref('fct_video_views') }}

)

select
    today.creator_id,
    today.student_id,
    today.engagement_tier,
    today.last_active_date,
    today.days_inactive,
    today.videos_to_date,
    today.avg_completion,
    last_views.video_id as last_video_id
from today
left join last_views on today.student_id = last_views.student_id and last_views.recency = 1
