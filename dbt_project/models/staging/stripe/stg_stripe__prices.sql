with

source as (

    select * from {{ source('raw_stripe', 'prices') }}

),

renamed as (

    select
        id as price_id,
        created as created_at,
        {{ json_text('data', ['product']) }} as product_id,
        amount as unit_amount_cents,
        currency,
        {{ json_text('data', ['type']) }} as price_type,
        {{ json_text('data', ['recurring', 'interval']) }} as recurring_interval,
        {{ json_text('data', ['lookup_key']) }} as lookup_key,
        _loaded_at as loaded_at

    from source

)

select * from renamed
