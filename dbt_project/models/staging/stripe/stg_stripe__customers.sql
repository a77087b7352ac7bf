with

source as (

    select * from {{ source('raw_stripe', 'customers') }}

),

renamed as (

    select
        id as customer_id,
        created as created_at,
        {{ json_text('data', ['email']) }} as email,
        {{ json_text('data', ['name']) }} as customer_name,
        cast({{ json_text('data', ['metadata', 'user_id']) }} as bigint) as user_id,
        currency,
        cast({{ json_text('data', ['delinquent']) }} as boolean) as is_delinquent,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
