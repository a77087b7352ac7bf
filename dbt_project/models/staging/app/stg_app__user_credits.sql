with

source as (

    select * from {{ source('raw_app', 'user_credits') }}

),

renamed as (

    select
        id as user_credit_id,
        user_id,
        available_credits,
        lifetime_credits,
        expires_at,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
