{#- Every video raw holds, deleted ones included (is_deleted), for the incremental models that must see a deletion
    land (see base_app__scenes). stg_app__videos is this less the deleted rows. -#}

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
        deleted_at is not null or _deleted_in_source_at is not null as is_deleted,
        _loaded_at as loaded_at

    from source

)

select * from renamed
