with

source as (

    select * from {{ source('raw_app', 'quiz_answers') }}

),

renamed as (

    select
        id as quiz_answer_id,
        attempt_id as quiz_attempt_id,
        question_id as quiz_question_id,
        selected_option,
        is_correct,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
