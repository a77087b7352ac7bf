with

source as (

    select * from {{ source('raw_app', 'video_ready_events') }}

),

renamed as (

    select
        id as ready_event_id,
        user_id,
        video_id,
        event_type,
        plan_at_event,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
