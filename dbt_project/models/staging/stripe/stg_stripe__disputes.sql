{#- Disputes. An inquiry (status warning_*) moves no money; a chargeback withdraws the disputed amount when it opens
    and gives it back if won: each movement is a balance transaction (embedded in balance_transactions[], and listed
    in stg_stripe__balance_transactions with the dispute as source), which is what revenue counts. -#}

with

source as (

    select * from {{ source('raw_stripe', 'disputes') }}

),

renamed as (

    select
        id as dispute_id,
        {{ json_id('data', ['charge']) }} as charge_id,
        {{ json_id('data', ['payment_intent']) }} as payment_intent_id,
        status,
        status like 'warning%' as is_inquiry,
        created as created_at,
        amount as amount_cents,
        -- What the dispute's balance transactions moved, positive when funds left the balance (0 for an inquiry).
        -cast({{ json_array_sum('data', ['balance_transactions'], 'amount') }} as bigint) as funds_withdrawn_cents,
        {{ json_text('data', ['reason']) }} as reason,
        currency,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
