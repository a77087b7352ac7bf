with

source as (

    select * from {{ source('raw_stripe', 'events') }}

),

renamed as (

    select
        id as event_id,
        type as event_type,
        created as created_at,
        {{ json_text('data', ['api_version']) }} as api_version,
        -- Null for events about an object without an id (invoice.upcoming).
        {{ json_text('data', ['data', 'object', 'id']) }} as object_id,
        {{ json_text('data', ['data', 'object', 'object']) }} as object_type,
        _loaded_at as loaded_at

    from source

)

select * from renamed
