with

source as (

    select * from {{ source('raw_app', 'api_usage_log') }}

),

renamed as (

    select
        id as api_usage_log_id,
        video_id,
        user_id,
        provider,
        credits,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
