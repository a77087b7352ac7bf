{#- Charges in the pinned API version: no `invoice` field any more (the link to an invoice is an InvoicePayment,
    stg_stripe__invoice_payments, by charge or by payment intent). -#}

with

source as (

    select * from {{ source('raw_stripe', 'charges') }}

),

renamed as (

    select
        id as charge_id,
        customer as customer_id,
        {{ json_id('data', ['payment_intent']) }} as payment_intent_id,
        status,
        created as created_at,
        amount as amount_cents,
        cast({{ json_text('data', ['amount_captured']) }} as bigint) as amount_captured_cents,
        cast({{ json_text('data', ['amount_refunded']) }} as bigint) as amount_refunded_cents,
        cast({{ json_text('data', ['paid']) }} as boolean) as is_paid,
        cast({{ json_text('data', ['captured']) }} as boolean) as is_captured,
        cast({{ json_text('data', ['refunded']) }} as boolean) as is_refunded,
        cast({{ json_text('data', ['disputed']) }} as boolean) as is_disputed,
        {{ json_id('data', ['balance_transaction']) }} as balance_transaction_id,
        {{ json_text('data', ['metadata', 'pack_id']) }} as pack_id,
        cast({{ json_text('data', ['metadata', 'credit_transaction_id']) }} as bigint) as credit_transaction_id,
        {{ json_text('data', ['failure_code']) }} as failure_code,
        currency,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
