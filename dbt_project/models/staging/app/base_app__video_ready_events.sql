{#- Every video-ready page event raw holds, hard-deleted ones included (is_deleted; the app has no soft delete for
    them), for int_video_ready_visits, which rebuilds the videos whose events landed since its last build and must see
    a deletion land too (see base_app__scenes). stg_app__video_ready_events is this less the deleted rows. -#}

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
        _deleted_in_source_at is not null as is_deleted,
        _loaded_at as loaded_at

    from source

)

select * from renamed
