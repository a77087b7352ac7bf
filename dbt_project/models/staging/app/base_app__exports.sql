{#- Every export raw holds, deleted ones included (is_deleted), for the incremental models that must see a deletion
    land (see base_app__scenes). stg_app__exports is this less the deleted rows. -#}

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
        _deleted_in_source_at is not null as is_deleted,
        _loaded_at as loaded_at

    from source

)

select * from renamed
