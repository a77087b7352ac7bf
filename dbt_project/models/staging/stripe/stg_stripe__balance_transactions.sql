with

source as (

    select * from {{ source('raw_stripe', 'balance_transactions') }}

),

renamed as (

    select
        id as balance_transaction_id,
        {{ json_text('data', ['type']) }} as transaction_type,
        status,
        created as created_at,
        amount as amount_cents,
        cast({{ json_text('data', ['fee']) }} as bigint) as fee_cents,
        cast({{ json_text('data', ['net']) }} as bigint) as net_cents,
        {{ json_text('data', ['source']) }} as source_id,
        {{ json_text('data', ['reporting_category']) }} as reporting_category,
        currency,
        _loaded_at as loaded_at

    from source

)

select * from renamed
