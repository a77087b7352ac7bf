with

source as (

    select * from {{ source('raw_app', 'paywall_events') }}

),

renamed as (

    select
        id as paywall_event_id,
        user_id,
        session_id,
        event_type,
        package_id,
        plan_at_event,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
