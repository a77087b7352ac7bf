with

source as (

    select * from {{ source('raw_stripe', 'charges') }}

),

renamed as (

    select
        id as charge_id,
        customer as customer_id,
        {{ json_text('data', ['invoice']) }} as invoice_id,
        status,
        created as created_at,
        amount as amount_cents,
        cast({{ json_text('data', ['amount_refunded']) }} as bigint) as amount_refunded_cents,
        cast({{ json_text('data', ['paid']) }} as boolean) as is_paid,
        cast({{ json_text('data', ['refunded']) }} as boolean) as is_refunded,
        cast({{ json_text('data', ['disputed']) }} as boolean) as is_disputed,
        {{ json_text('data', ['balance_transaction']) }} as balance_transaction_id,
        {{ json_text('data', ['metadata', 'pack_id']) }} as pack_id,
        cast({{ json_text('data', ['metadata', 'credit_transaction_id']) }} as bigint) as credit_transaction_id,
        {{ json_text('data', ['failure_code']) }} as failure_code,
        currency,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
