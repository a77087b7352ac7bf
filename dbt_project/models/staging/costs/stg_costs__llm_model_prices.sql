with

source as (

    select * from {{ source('raw_costs', 'llm_model_prices') }}

),

renamed as (

    select
        provider,
        model,
        usd_per_1k_input,
        usd_per_1k_output,
        effective_from,
        effective_to,
        _loaded_at as loaded_at

    from source

)

select * from renamed
