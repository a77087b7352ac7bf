{#- Invoices in the pinned API version's shape (2026-10-28.endive). Since 2025-03-31 the subscription is
    parent.subscription_details.subscription and tax is total_taxes[].amount; what was bought (price, product,
    service period) is on the lines: stg_stripe__invoice_lines. -#}

with

source as (

    select * from {{ source('raw_stripe', 'invoices') }}

),

renamed as (

    select
        id as invoice_id,
        customer as customer_id,
        {{ json_text('data', ['parent', 'type']) }} as parent_type,
        {{ json_id('data', ['parent', 'subscription_details', 'subscription']) }} as subscription_id,
        status,
        created as created_at,
        {{ json_text('data', ['billing_reason']) }} as billing_reason,
        -- Stripe's invoice period: when the invoice's items were added. For a renewal it is the period just ended,
        -- not the one billed: the service period of a subscription is its line's period.
        {{ epoch_to_timestamp(json_text('data', ['period_start'])) }} as period_start,
        {{ epoch_to_timestamp(json_text('data', ['period_end'])) }} as period_end,
        cast({{ json_text('data', ['subtotal']) }} as bigint) as subtotal_cents,
        cast({{ json_array_sum('data', ['total_discount_amounts'], 'amount') }} as bigint) as discount_cents,
        cast({{ json_array_sum('data', ['total_taxes'], 'amount') }} as bigint) as tax_cents,
        cast({{ json_text('data', ['total']) }} as bigint) as total_cents,
        cast({{ json_text('data', ['total_excluding_tax']) }} as bigint) as total_excluding_tax_cents,
        cast({{ json_text('data', ['amount_due']) }} as bigint) as amount_due_cents,
        cast({{ json_text('data', ['amount_paid']) }} as bigint) as amount_paid_cents,
        cast({{ json_text('data', ['amount_remaining']) }} as bigint) as amount_remaining_cents,
        cast({{ json_text('data', ['attempt_count']) }} as integer) as attempt_count,
        {{ epoch_to_timestamp(json_text('data', ['status_transitions', 'paid_at'])) }} as paid_at,
        {{ epoch_to_timestamp(json_text('data', ['status_transitions', 'voided_at'])) }} as voided_at,
        cast({{ json_text('data', ['lines', 'has_more']) }} as boolean) as has_more_lines,
        currency,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
