{#- One row per item of a subscription in its newest state. Stripe embeds the items in the subscription object
    (raw_stripe.subscriptions.data -> items.data[]), so this model unnests them from the same source table as
    stg_stripe__subscriptions: a subscription item is its own Stripe object (si_...), and since 2025-03-31 the
    billing period lives on it (current_period_start/end), not on the subscription. -#}

with

subscriptions as (

    select
        id as subscription_id,
        customer as customer_id,
        data,
        _loaded_at
    from {{ source('raw_stripe', 'subscriptions') }}

),

unnested as (

    select
        subscriptions.subscription_id,
        subscriptions.customer_id,
        subscriptions._loaded_at,
        item_elements.item,
        item_elements.item_position
    from subscriptions
    {{ json_array_elements_join('subscriptions.data', ['items', 'data'], 'item') }}

),

items as (

    select
        {{ json_text('item', ['id']) }} as subscription_item_id,
        subscription_id,
        customer_id,
        item_position,
        {{ epoch_to_timestamp(json_text('item', ['created'])) }} as created_at,
        {{ json_text('item', ['price', 'id']) }} as price_id,
        {{ json_id('item', ['price', 'product']) }} as product_id,
        {{ json_text('item', ['price', 'recurring', 'interval']) }} as billing_interval,
        cast({{ json_text('item', ['price', 'recurring', 'interval_count']) }} as integer) as interval_count,
        cast({{ json_text('item', ['price', 'unit_amount_decimal']) }} as numeric) as unit_amount_cents,
        cast({{ json_text('item', ['quantity']) }} as bigint) as quantity,
        {{ epoch_to_timestamp(json_text('item', ['current_period_start'])) }} as current_period_start,
        {{ epoch_to_timestamp(json_text('item', ['current_period_end'])) }} as current_period_end,
        _loaded_at as loaded_at

    from unnested

)

select * from items
