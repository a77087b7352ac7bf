with

quiz_attempts as (

    select
        quiz_attempt_id,
        quiz_id,
        student_id,
        score,
        is_passed,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('base_app__quiz_attempts') }}
    where not is_deleted

)

select * from quiz_attempts
