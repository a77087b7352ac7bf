with

source as (

    select * from {{ source('raw_stripe', 'prices') }}

),

renamed as (

    select
        id as price_id,
        created as created_at,
        {{ json_id('data', ['product']) }} as product_id,
        -- unit_amount_decimal carries sub-cent prices; unit_amount is the same rounded to a cent (null for them).
        cast(
            coalesce({{ json_text('data', ['unit_amount_decimal']) }}, {{ json_text('data', ['unit_amount']) }})
            as numeric
        ) as unit_amount_cents,
        currency,
        {{ json_text('data', ['type']) }} as price_type,
        {{ json_text('data', ['billing_scheme']) }} as billing_scheme,
        {{ json_text('data', ['recurring', 'interval']) }} as recurring_interval,
        cast({{ json_text('data', ['recurring', 'interval_count']) }} as integer) as recurring_interval_count,
        {{ json_text('data', ['tax_behavior']) }} as tax_behavior,
        {{ json_text('data', ['lookup_key']) }} as lookup_key,
        cast({{ json_text('data', ['active']) }} as boolean) as is_active,
        livemode as is_livemode,
        _loaded_at as loaded_at

    from source

)

select * from renamed
