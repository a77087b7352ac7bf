{#- Exports per day (UTC) the export started and format (mp4/webm/gif), by status: the one count of exports that
    export_funnel_daily (per format) and content_daily_kpis (all formats) both report, so the two agree. -#}

with

exports as (

    select
        cast(created_at as date) as export_date,
        export_format,
        status,
        render_seconds
    from {{ ref('stg_app__exports') }}

)

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
