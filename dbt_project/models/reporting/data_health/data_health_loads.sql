{#- Pipeline health is measured on the wall clock (when loads really ran), not the reporting clock, which
    a demo may freeze in the past. A view: the dashboard always shows the latest loads. -#}
{{ config(materialized='view') }}

with

loads as (

    select
        source_name,
        table_name,
        status,
        rows_inserted + rows_updated + rows_deleted as rows_changed,
        rows_quarantined,
        finished_at,
        error,
        finished_at >= {{ dbt.current_timestamp() }} - interval '24 hours' as is_last_24h,
        row_number() over (partition by source_name, table_name order by finished_at desc) as recency
    from {{ ref('stg_ops__load_audit') }}

),

per_table as (

    select
        source_name,
        table_name,
        max(finished_at) as last_load_at,
        max(case when status = 'ok' then finished_at end) as last_success_at,
        count(case when is_last_24h then 1 end) as loads_last_24h,
        cast(coalesce(sum(case when is_last_24h then rows_changed end), 0) as bigint) as rows_changed_last_24h,
        cast(coalesce(sum(case when is_last_24h then rows_quarantined end), 0) as bigint) as rows_quarantined_last_24h
    from loads
    group by source_name, table_name

),

latest as (

    select
        source_name,
        table_name,
        status as last_status,
        error as last_error
    from loads
    where recency = 1

)

select
    per_table.source_name,
    per_table.table_name,
    latest.last_status,
    per_table.last_load_at,
    per_table.last_success_at,
    extract(epoch from {{ dbt.current_timestamp() }} - per_table.last_success_at) / 3600.0
        as hours_since_last_success,
    per_table.loads_last_24h,
    per_table.rows_changed_last_24h,
    per_table.rows_quarantined_last_24h,
    latest.last_error
from per_table
inner join latest
    on
        per_table.source_name = latest.source_name
        and per_table.table_name = latest.table_name
