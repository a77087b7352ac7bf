{#- Stripe's InvoicePayment objects (GET /v1/invoice_payments): the link from money to invoices since charges lost
    their `invoice` field (2025-03-31). A payment is a charge, a payment intent or an off-Stripe payment record. -#}

with

source as (

    select * from {{ source('raw_stripe', 'invoice_payments') }}

),

renamed as (

    select
        id as invoice_payment_id,
        {{ json_id('data', ['invoice']) }} as invoice_id,
        status,
        created as created_at,
        {{ json_text('data', ['payment', 'type']) }} as payment_type,
        {{ json_id('data', ['payment', 'charge']) }} as charge_id,
        {{ json_id('data', ['payment', 'payment_intent']) }} as payment_intent_id,
        {{ json_id('data', ['payment', 'payment_record']) }} as payment_record_id,
        cast({{ json_text('data', ['amount_paid']) }} as bigint) as amount_paid_cents,
        cast({{ json_text('data', ['amount_requested']) }} as bigint) as amount_requested_cents,
        cast({{ json_text('data', ['is_default']) }} as boolean) as is_default,
        {{ epoch_to_timestamp(json_text('data', ['status_transitions', 'paid_at'])) }} as paid_at,
        {{ epoch_to_timestamp(json_text('data', ['status_transitions', 'canceled_at'])) }} as canceled_at,
        {{ json_text('data', ['currency']) }} as currency,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
