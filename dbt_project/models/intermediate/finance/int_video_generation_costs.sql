{#- Each video generation's provider cost: credits × the provider's price per credit in effect on the
    day of the generation (the Production Requirements doc). A price change never rewrites earlier costs. -#}

with

generations as (

    select
        api_usage_log_id,
        video_id,
        user_id,
        provider,
        credits,
        created_at
    from {{ ref('stg_app__api_usage_log') }}

),

prices as (

    select
        provider,
        usd_per_credit,
        effective_from,
        effective_to
    from {{ ref('stg_costs__video_provider_prices') }}

),

priced as (

    select
        generations.api_usage_log_id,
        generations.video_id,
        generations.user_id,
        generations.provider,
        generations.credits,
        generations.created_at,
        prices.usd_per_credit,
        generations.credits * prices.usd_per_credit as cost_usd

    from generations
    left join prices
        on
            generations.provider = prices.provider
            and cast(generations.created_at as date) >= prices.effective_from
            and (prices.effective_to is null or cast(generations.created_at as date) < prices.effective_to)

)

select
    api_usage_log_id,
    video_id,
    user_id,
    provider,
    credits,
    created_at,
    usd_per_credit,
    cost_usd
from priced
