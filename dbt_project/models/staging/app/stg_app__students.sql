with

source as (

    select * from {{ source('raw_app', 'students') }}

),

renamed as (

    select
        id as student_id,
        creator_id,
        email,
        full_name,
        last_active_at,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
