with

source as (

    select * from {{ source('raw_stripe', 'invoices') }}

),

renamed as (

    select
        id as invoice_id,
        customer as customer_id,
        {{ json_text('data', ['subscription']) }} as subscription_id,
        status,
        created as created_at,
        {{ json_text('data', ['billing_reason']) }} as billing_reason,
        {{ epoch_to_timestamp(json_text('data', ['period_start'])) }} as period_start,
        {{ epoch_to_timestamp(json_text('data', ['period_end'])) }} as period_end,
        cast({{ json_text('data', ['subtotal']) }} as bigint) as subtotal_cents,
        cast({{ json_text('data', ['tax']) }} as bigint) as tax_cents,
        amount as total_cents,
        cast({{ json_text('data', ['total_excluding_tax']) }} as bigint) as total_excluding_tax_cents,
        {{ json_text('data', ['lines', 'data', '0', 'price', 'id']) }} as price_id,
        {{ json_text('data', ['lines', 'data', '0', 'price', 'product']) }} as product_id,
        {{ json_text('data', ['lines', 'data', '0', 'price', 'recurring', 'interval']) }} as billing_interval,
        cast({{ json_text('data', ['amount_paid']) }} as bigint) as amount_paid_cents,
        cast({{ json_text('data', ['attempt_count']) }} as integer) as attempt_count,
        {{ epoch_to_timestamp(json_text('data', ['status_transitions', 'paid_at'])) }} as paid_at,
        currency,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
