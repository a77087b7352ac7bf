with

source as (

    select * from {{ source('raw_app', 'credit_transactions') }}

),

renamed as (

    select
        id as credit_transaction_id,
        user_id,
        type as transaction_type,
        amount as credits,
        balance_after,
        description,
        plan,
        pack_id,
        amount_usd_cents,
        video_id,
        reference_transaction_id,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
