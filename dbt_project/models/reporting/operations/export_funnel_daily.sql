{#- The Admin Analytics Plan's export funnel by the day (UTC) the export started and its format (mp4/webm/gif):
    success rate = completed ÷ all exports started that day (still-running ones included). -#}

{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['export_format']}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

per_day as (

    select
        export_date,
        export_format,
        exports_total,
        exports_in_progress,
        exports_completed,
        exports_failed,
        avg_render_seconds,
        total_render_minutes
    from {{ ref('int_exports_daily') }}

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
