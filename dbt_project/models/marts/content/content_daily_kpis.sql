{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

videos as (

    select
        video_id,
        cast(created_at as date) as created_on,
        status = 'draft' as is_draft,
        case
            when status = 'completed' then cast(completed_at as date)
            when status = 'failed' then cast(updated_at as date)
        end as finished_on
    from {{ ref('stg_app__videos') }}

),

in_production as (

    select
        days.date_day,
        count(videos.video_id) as videos_to_date,
        count(case
            when not videos.is_draft and (videos.finished_on is null or videos.finished_on > days.date_day) then 1
        end) as videos_in_production,
        count(case when videos.is_draft then 1 end) as open_drafts
    from days
    left join videos on days.date_day >= videos.created_on
    group by days.date_day

),

prompts as (

    select
        sent_on,
        count(*) as prompts
    from {{ ref('fct_prompts') }}
    group by sent_on

),

exports as (

    select
        cast(created_at as date) as created_on,
        count(*) as exports,
        count(case when status = 'completed' then 1 end) as exports_completed
    from {{ ref('stg_app__exports') }}
    group by cast(created_at as date)

)

select
    days.date_day,
    funnel.videos_started as videos_created,
    in_production.videos_to_date as total_videos,
    in_production.videos_in_production,
    in_production.open_drafts,
    funnel.videos_completed,
    funnel.completion_rate,
    funnel.avg_minutes_to_complete,
    funnel.credits_per_completed_video,
    coalesce(prompts.prompts, 0) as prompts,
    coalesce(exports.exports, 0) as exports,
    coalesce(exports.exports_completed, 0) as exports_completed
from days
inner join {{ ref('creation_funnel_daily') }} as funnel on days.date_day = funnel.date_day
inner join in_production on days.date_day = in_production.date_day
left join prompts on days.date_day = prompts.sent_on
left join exports on days.date_day = exports.created_on
