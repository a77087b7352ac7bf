{#- Seed 004 export funnel by the day (UTC) the export started and its format (mp4/webm/gif):
    success rate = completed ÷ all exports started that day (still-running ones included). -#}

{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['export_format']}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

exports as (

    select
        cast(created_at as date) as export_date,
        export_format,
        status,
        render_seconds
    from {{ ref('stg_app__exports') }}

),

per_day as (

    select
        export_date,
        export_format,
        count(*) as exports_total,
        count(case when status = 'started' then 1 end) as exports_in_progress,
        count(case when status = 'completed' then 1 end) as exports_completed,
        count(case when status = 'failed' then 1 end) as exports_failed,
        avg(case when status = 'completed' then render_seconds end) as avg_render_seconds,
        sum(render_seconds) / 60.0 as total_render_minutes
    from exports
    group by export_date, export_format

)

select
    days.date_day,
    per_day.export_format,
    per_day.exports_total,
    per_day.exports_in_progress,
    per_day.exports_completed,
    per_day.exports_failed,
    per_day.exports_completed * 1.0 / nullif(per_day.exports_total, 0) as success_rate,
    per_day.exports_failed * 1.0 / nullif(per_day.exports_total, 0) as failure_rate,
    per_day.avg_render_seconds,
    coalesce(per_day.total_render_minutes, 0) as total_render_minutes
from days
inner join per_day on days.date_day = per_day.export_date
