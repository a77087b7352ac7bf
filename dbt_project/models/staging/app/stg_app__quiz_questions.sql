with

source as (

    select * from {{ source('raw_app', 'quiz_questions') }}

),

renamed as (

    select
        id as quiz_question_id,
        quiz_id,
        position as question_position,
        prompt as question,
        correct_option,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
