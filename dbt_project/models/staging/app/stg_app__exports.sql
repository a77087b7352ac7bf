with

source as (

    select * from {{ source('raw_app', 'exports') }}

),

renamed as (

    select
        id as export_id,
        video_id,
        user_id,
        format as export_format,
        status,
        render_seconds,
        file_size_bytes,
        error_message,
        created_at,
        updated_at,
        completed_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
