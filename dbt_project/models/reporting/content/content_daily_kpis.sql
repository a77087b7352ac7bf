{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

funnel as (

    select
        date_day,
        videos_started,
        videos_completed,
        completion_rate,
        avg_minutes_to_complete,
        credits_per_completed_video
    from {{ ref('creation_funnel_daily') }}

),

videos as (

    select
        created_on,
        finished_on,
        status
    from {{ ref('int_video_pipeline_stages') }}

),

created_per_day as (

    select
        created_on,
        count(*) as videos_created,
        count(case when status = 'draft' then 1 end) as drafts_created
    from videos
    group by created_on

),

finished_per_day as (

    select
        finished_on,
        count(*) as videos_finished,
        count(case when status = 'completed' then 1 end) as videos_completed_on_day
    from videos
    where finished_on is not null
    group by finished_on

),

running_totals as (

    -- Counts stay bigint (sum() of a bigint is numeric: the contract says bigint).
    select
        days.date_day,
        cast(sum(coalesce(created_per_day.videos_created, 0)) over (
            order by days.date_day rows between unbounded preceding and current row
        ) as bigint) as total_videos,
        cast(sum(coalesce(finished_per_day.videos_finished, 0)) over (
            order by days.date_day rows between unbounded preceding and current row
        ) as bigint) as videos_finished_to_date,
        cast(sum(coalesce(created_per_day.drafts_created, 0)) over (
            order by days.date_day rows between unbounded preceding and current row
        ) as bigint) as open_drafts,
        coalesce(finished_per_day.videos_completed_on_day, 0) as videos_completed_on_day
    from days
    left join created_per_day on days.date_day = created_per_day.created_on
    left join finished_per_day on days.date_day = finished_per_day.finished_on

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
        export_date as created_on,
        cast(sum(exports_total) as bigint) as exports,
        cast(sum(exports_completed) as bigint) as exports_completed
    from {{ ref('int_exports_daily') }}
    group by export_date

)

select
    days.date_day,
    funnel.videos_started as videos_created,
    running_totals.total_videos,
    running_totals.total_videos - running_totals.videos_finished_to_date as videos_in_production,
    running_totals.open_drafts,
    funnel.videos_completed,
    running_totals.videos_completed_on_day,
    funnel.completion_rate,
    funnel.avg_minutes_to_complete,
    funnel.credits_per_completed_video,
    coalesce(prompts.prompts, 0) as prompts,
    coalesce(exports.exports, 0) as exports,
    coalesce(exports.exports_completed, 0) as exports_completed
from days
inner join funnel on days.date_day = funnel.date_day
inner join running_totals on days.date_day = running_totals.date_day
left join prompts on days.date_day = prompts.sent_on
left join exports on days.date_day = exports.created_on
