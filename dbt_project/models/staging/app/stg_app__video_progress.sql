with

source as (

    select * from {{ source('raw_app', 'video_progress') }}

),

renamed as (

    select
        id as view_id,
        student_id,
        creator_id,
        video_id,
        watch_duration_seconds,
        watch_percentage,
        completed as is_completed,
        last_watched_at,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
