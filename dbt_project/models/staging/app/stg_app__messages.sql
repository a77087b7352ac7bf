with

source as (

    select * from {{ source('raw_app', 'messages') }}

),

renamed as (

    select
        id as message_id,
        user_id,
        video_id,
        role,
        content,
        token_count,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
