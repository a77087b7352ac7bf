with

source as (

    select * from {{ source('raw_app', 'scenes') }}

),

renamed as (

    select
        id as scene_id,
        video_id,
        user_id,
        position as scene_position,
        prompt,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
