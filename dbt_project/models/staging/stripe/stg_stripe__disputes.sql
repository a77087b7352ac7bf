with

source as (

    select * from {{ source('raw_stripe', 'disputes') }}

),

renamed as (

    select
        id as dispute_id,
        {{ json_text('data', ['charge']) }} as charge_id,
        status,
        created as created_at,
        amount as amount_cents,
        {{ json_text('data', ['reason']) }} as reason,
        currency,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
