{#- The Video Ready spec's BYOK key health as of now: stored (not deleted) user API keys by provider and the owner's
    current plan; invalid-key rate = keys with is_valid false ÷ keys. -#}

with

api_keys as (

    select
        user_id,
        provider,
        is_valid
    from {{ ref('stg_app__user_api_keys') }}
    where created_at <= {{ reporting_time() }}

),

users as (

    select
        user_id,
        plan
    from {{ ref('dim_users') }}

),

per_group as (

    select
        api_keys.provider,
        coalesce(users.plan, 'unknown') as plan,
        count(*) as api_keys,
        count(case when not api_keys.is_valid then 1 end) as invalid_api_keys,
        count(distinct api_keys.user_id) as users_with_keys,
        count(distinct case when not api_keys.is_valid then api_keys.user_id end) as users_with_invalid_key
    from api_keys
    left join users on api_keys.user_id = users.user_id
    group by api_keys.provider, coalesce(users.plan, 'unknown')

)

select
    provider,
    plan,
    api_keys,
    invalid_api_keys,
    invalid_api_keys * 1.0 / nullif(api_keys, 0) as invalid_key_rate,
    users_with_keys,
    users_with_invalid_key
from per_group
