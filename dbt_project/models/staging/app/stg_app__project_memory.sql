with

source as (

    select * from {{ source('raw_app', 'project_memory') }}

),

renamed as (

    select
        id as memory_id,
        user_id,
        video_id,
        memory_type,
        asset_type,
        asset_url,
        file_size_bytes,
        source_asset_id,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
