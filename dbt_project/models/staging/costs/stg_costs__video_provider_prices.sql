with

source as (

    select * from {{ source('raw_costs', 'video_provider_prices') }}

),

renamed as (

    select
        provider,
        usd_per_credit,
        effective_from,
        effective_to,
        _loaded_at as loaded_at

    from source

)

select * from renamed
