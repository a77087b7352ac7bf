with

source as (

    select * from {{ source('raw_app', 'enrollments') }}

),

renamed as (

    select
        id as enrollment_id,
        student_id,
        creator_id,
        status,
        enrolled_at,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
