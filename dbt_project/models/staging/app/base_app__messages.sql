{#- Every message raw holds, deleted ones included (is_deleted), for the incremental models that must see a deletion
    land (see base_app__scenes). stg_app__messages is this less the deleted rows. -#}

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
        _deleted_in_source_at is not null as is_deleted,
        _loaded_at as loaded_at

    from source

)

select * from renamed
