{#- Subscriptions in their newest state. Since 2025-03-31 the billing period is per item (items.data[]); the
    subscription's current period here is its items' earliest start and earliest end (one billing cycle for every
    item in Stripe's classic billing mode). `discounts` are ids (raw keeps Stripe's unexpanded shape): the discount
    objects, with their coupon, are stg_stripe__discounts, joined in int_stripe_subscription_discounts. The price of
    each item: stg_stripe__subscription_items. -#}

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
        {{ epoch_to_timestamp(json_text('data', ['start_date'])) }} as start_date,
        cast({{ json_text('data', ['metadata', 'user_id']) }} as bigint) as user_id,
        {{ json_array_length('data', ['items', 'data']) }} as item_count,
        {{ epoch_to_timestamp(json_array_aggregate('data', ['items', 'data'], 'current_period_start', 'min')) }}
            as current_period_start,
        {{ epoch_to_timestamp(json_array_aggregate('data', ['items', 'data'], 'current_period_end', 'min')) }}
            as current_period_end,
        {{ epoch_to_timestamp(json_text('data', ['trial_start'])) }} as trial_start,
        {{ epoch_to_timestamp(json_text('data', ['trial_end'])) }} as trial_end,
        cast({{ json_text('data', ['cancel_at_period_end']) }} as boolean) as is_canceling_at_period_end,
        {{ epoch_to_timestamp(json_text('data', ['cancel_at'])) }} as cancel_at,
        {{ epoch_to_timestamp(json_text('data', ['canceled_at'])) }} as canceled_at,
        {{ epoch_to_timestamp(json_text('data', ['ended_at'])) }} as ended_at,
        {{ json_text('data', ['cancellation_details', 'reason']) }} as cancellation_reason,
        {{ json_id('data', ['discounts', '0']) }} as discount_id,
        {{ json_array_length('data', ['discounts']) }} as discount_count,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
