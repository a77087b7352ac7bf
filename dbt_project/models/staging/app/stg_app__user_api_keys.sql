with

source as (

    select * from {{ source('raw_app', 'user_api_keys') }}

),

renamed as (

    select
        id as api_key_id,
        user_id,
        provider,
        key_suffix,
        key_name,
        is_valid,
        last_validated_at,
        last_used_at,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
