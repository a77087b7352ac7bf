{#- Every scene iteration raw holds, hard-deleted ones included (is_deleted; the app has no soft delete for them):
    see base_app__scenes. stg_app__scene_iterations is this less the deleted rows. -#}

with

source as (

    select * from {{ source('raw_app', 'scene_iterations') }}

),

renamed as (

    select
        id as scene_iteration_id,
        scene_id,
        user_id,
        edit_type,
        succeeded as is_succeeded,
        created_at,
        updated_at,
        _deleted_in_source_at is not null as is_deleted,
        _loaded_at as loaded_at

    from source

)

select * from renamed
