with

source as (

    select * from {{ source('raw_stripe', 'subscriptions') }}

),

renamed as (

    select
        id as subscription_id,
        customer as customer_id,
        status,
        created as created_at,
        cast({{ json_text('data', ['metadata', 'user_id']) }} as bigint) as user_id,
        {{ json_text('data', ['items', 'data', '0', 'price', 'id']) }} as price_id,
        {{ json_text('data', ['items', 'data', '0', 'price', 'product']) }} as product_id,
        {{ json_text('data', ['items', 'data', '0', 'price', 'recurring', 'interval']) }} as billing_interval,
        cast({{ json_text('data', ['items', 'data', '0', 'price', 'unit_amount']) }} as bigint) as unit_amount_cents,
        cast({{ json_text('data', ['discount', 'coupon', 'percent_off']) }} as numeric) as discount_percent_off,
        {{ epoch_to_timestamp(json_text('data', ['current_period_start'])) }} as current_period_start,
        {{ epoch_to_timestamp(json_text('data', ['current_period_end'])) }} as current_period_end,
        {{ epoch_to_timestamp(json_text('data', ['canceled_at'])) }} as canceled_at,
        {{ epoch_to_timestamp(json_text('data', ['ended_at'])) }} as ended_at,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
