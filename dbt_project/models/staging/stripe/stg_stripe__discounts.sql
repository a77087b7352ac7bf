{#- Discounts (stripe.Discount): one coupon (or promotion code) applied to a subscription, a customer, an invoice or
    an invoice item. Stripe has no /v1/discounts: the loader lands the discount objects it expands in the
    subscriptions listing (expand[]=data.discounts) and those of customer.discount.* events. A discount taken off
    (customer.discount.deleted, or a subscription version no longer listing it) keeps its row with deleted_at. A
    discount has no `created`: raw's created is its `start`. Since 2025-09-30 the coupon is source.coupon. -#}

with

source as (

    select * from {{ source('raw_stripe', 'discounts') }}

),

renamed as (

    select
        id as discount_id,
        {{ json_text('data', ['source', 'type']) }} as source_type,
        {{ json_id('data', ['source', 'coupon']) }} as coupon_id,
        {{ json_id('data', ['promotion_code']) }} as promotion_code_id,
        customer as customer_id,
        {{ json_text('data', ['subscription']) }} as subscription_id,
        {{ json_text('data', ['subscription_item']) }} as subscription_item_id,
        {{ json_text('data', ['invoice']) }} as invoice_id,
        {{ json_text('data', ['invoice_item']) }} as invoice_item_id,
        {{ json_text('data', ['checkout_session']) }} as checkout_session_id,
        created as started_at,
        {{ epoch_to_timestamp(json_text('data', ['end'])) }} as ends_at,
        _deleted_at is not null as is_deleted,
        _deleted_at as deleted_at,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
