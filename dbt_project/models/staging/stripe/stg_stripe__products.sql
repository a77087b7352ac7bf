with

source as (

    select * from {{ source('raw_stripe', 'products') }}

),

renamed as (

    select
        id as product_id,
        created as created_at,
        {{ json_text('data', ['name']) }} as product_name,
        cast({{ json_text('data', ['active']) }} as boolean) as is_active,
        livemode as is_livemode,
        _loaded_at as loaded_at

    from source

)

select * from renamed
