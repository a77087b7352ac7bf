with

source as (

    select * from {{ source('raw_app', 'quizzes') }}

),

renamed as (

    select
        id as quiz_id,
        creator_id,
        video_id,
        title,
        pass_score,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
