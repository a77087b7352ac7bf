with

source as (

    select * from {{ source('raw_app', 'chat_messages') }}

),

renamed as (

    select
        id as chat_message_id,
        creator_id,
        student_id,
        video_id,
        session_id,
        role,
        content,
        helpful_rating,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
