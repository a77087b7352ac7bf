{#- Balance transactions: every movement of money in the Stripe balance (charges in, refunds and dispute
    withdrawals out, dispute reversals back in), with Stripe's fee. The truth for money movement. -#}

with

source as (

    select * from {{ source('raw_stripe', 'balance_transactions') }}

),

renamed as (

    select
        id as balance_transaction_id,
        {{ json_text('data', ['type']) }} as transaction_type,
        {{ json_text('data', ['reporting_category']) }} as reporting_category,
        status,
        created as created_at,
        {{ epoch_to_timestamp(json_text('data', ['available_on'])) }} as available_on,
        cast({{ json_text('data', ['amount']) }} as bigint) as amount_cents,
        cast({{ json_text('data', ['fee']) }} as bigint) as fee_cents,
        cast({{ json_text('data', ['net']) }} as bigint) as net_cents,
        {{ json_id('data', ['source']) }} as source_id,
        currency,
        _loaded_at as loaded_at

    from source

)

select * from renamed
