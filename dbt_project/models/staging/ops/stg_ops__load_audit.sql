with

source as (

    select * from {{ source('ops', 'load_audit') }}

),

renamed as (

    select
        id as load_audit_id,
        load_id,
        source as source_name,
        table_name,
        status,
        rows_inserted,
        rows_updated,
        rows_deleted,
        rows_quarantined,
        started_at,
        finished_at,
        duration_seconds,
        error

    from source

)

select * from renamed
