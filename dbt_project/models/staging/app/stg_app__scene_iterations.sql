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
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
