with

exports as (

    select
        export_id,
        video_id,
        user_id,
        export_format,
        status,
        render_seconds,
        file_size_bytes,
        error_message,
        created_at,
        updated_at,
        completed_at,
        loaded_at
    from {{ ref('base_app__exports') }}
    where not is_deleted

)

select * from exports
