with

source as (

    select * from {{ source('raw_app', 'videos') }}

),

renamed as (

    select
        id as video_id,
        user_id,
        creator_id,
        template_id,
        title,
        content_type,
        status,
        provider,
        credits_used,
        duration_seconds,
        thumbnail_url,
        created_at,
        updated_at,
        completed_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
