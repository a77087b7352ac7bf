with

source as (

    select * from {{ source('raw_stripe', 'refunds') }}

),

renamed as (

    select
        id as refund_id,
        {{ json_id('data', ['charge']) }} as charge_id,
        {{ json_id('data', ['payment_intent']) }} as payment_intent_id,
        status,
        created as created_at,
        amount as amount_cents,
        {{ json_id('data', ['balance_transaction']) }} as balance_transaction_id,
        {{ json_text('data', ['reason']) }} as reason,
        currency,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
