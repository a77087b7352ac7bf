with

source as (

    select * from {{ source('raw_app', 'api_usage_metrics') }}

),

renamed as (

    select
        id as api_call_id,
        user_id,
        video_id,
        provider,
        model,
        tool_name,
        input_tokens,
        output_tokens,
        response_ms,
        success as is_success,
        error_message,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
