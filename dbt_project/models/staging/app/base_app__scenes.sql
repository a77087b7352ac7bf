{#- Every scene raw holds, deleted ones included (is_deleted): the models that rebuild only the scenes that
    landed since their last build see a deletion land too (a soft delete moves updated_at, a hard delete is marked
    by the reconciling load; both move loaded_at). stg_app__scenes is this less the deleted rows. -#}

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
        deleted_at is not null or _deleted_in_source_at is not null as is_deleted,
        _loaded_at as loaded_at

    from source

)

select * from renamed
