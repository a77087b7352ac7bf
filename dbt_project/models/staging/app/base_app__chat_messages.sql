{#- Every chat message raw holds, hard-deleted ones included (is_deleted; the app has no soft delete for them), for
    int_student_daily_activity, which rebuilds the students whose rows landed since its last build and must see a
    deletion land too (see base_app__scenes). stg_app__chat_messages is this less the deleted rows. -#}

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
        _deleted_in_source_at is not null as is_deleted,
        _loaded_at as loaded_at

    from source

)

select * from renamed
