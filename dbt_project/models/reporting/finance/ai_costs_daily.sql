{{ config(indexes=[{'columns': ['date_day']}]) }}

with

video_generation as (

    select
        cast(created_at as date) as date_day,
        'video_generation' as cost_type,
        provider,
        provider as model,
        sum(credits) as units,
        sum(cost_usd) as cost_usd,
        count(*) as requests

    from {{ ref('int_video_generation_costs') }}
    group by cast(created_at as date), provider

),

llm as (

    select
        cast(created_at as date) as date_day,
        'llm' as cost_type,
        provider,
        model,
        sum(input_tokens + output_tokens) as units,
        sum(cost_usd) as cost_usd,
        count(*) as requests

    from {{ ref('fct_llm_calls') }}
    group by cast(created_at as date), provider, model

),

unioned as (

    select
        date_day,
        cost_type,
        provider,
        model,
        units,
        cost_usd,
        requests
    from video_generation

    union all

    select
        date_day,
        cost_type,
        provider,
        model,
        units,
        cost_usd,
        requests
    from llm

)

select
    date_day,
    cost_type,
    provider,
    model,
    units,
    requests,
    cost_usd
from unioned
