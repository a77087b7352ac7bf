with

source as (

    select * from {{ source('raw_app', 'export_analytics') }}

),

renamed as (

    select
        id as export_event_id,
        export_id,
        event_type,
        stage,
        duration_ms,
        error_message,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
