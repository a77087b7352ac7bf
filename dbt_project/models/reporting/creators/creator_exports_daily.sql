{#- The Creator Dashboard doc's export_logs ("Export & Reports", the audit log of data exports): per creator, day the
    export was asked for (UTC), export type and format, the exports asked for and how they ended. From the app's
    export_logs, including logs the app's 30-day cleanup has since deleted (stg_app__export_logs keeps them). -#}

{{ config(indexes=[{'columns': ['creator_id', 'date_day']}]) }}

with

logs as (

    select
        creator_id,
        cast(created_at as date) as date_day,
        export_type,
        export_format,
        status,
        file_size_bytes,
        {{ dbt.datediff('created_at', 'completed_at', 'second') }} as seconds_to_complete  -- noqa: LT05
    from {{ ref('stg_app__export_logs') }}

)

select
    creator_id,
    date_day,
    export_type,
    export_format,
    count(*) as exports_requested,
    count(case when status = 'completed' then 1 end) as exports_completed,
    count(case when status = 'failed' then 1 end) as exports_failed,
    count(case when status in ('pending', 'processing') then 1 end) as exports_in_progress,
    cast(avg(case when status = 'completed' then seconds_to_complete end) as numeric) as avg_seconds_to_complete,
    coalesce(sum(case when status = 'completed' then file_size_bytes end), 0) as bytes_exported
from logs
group by creator_id, date_day, export_type, export_format
