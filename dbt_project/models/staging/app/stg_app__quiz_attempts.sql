with

source as (

    select * from {{ source('raw_app', 'quiz_attempts') }}

),

renamed as (

    select
        id as quiz_attempt_id,
        quiz_id,
        student_id,
        score,
        passed as is_passed,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
