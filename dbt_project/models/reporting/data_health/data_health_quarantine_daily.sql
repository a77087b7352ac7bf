{{ config(materialized='view') }}

select
    cast(quarantined_at as date) as date_day,
    source_name,
    table_name,
    reason,
    count(*) as rows_quarantined
from {{ ref('stg_ops__quarantine') }}
group by cast(quarantined_at as date), source_name, table_name, reason
