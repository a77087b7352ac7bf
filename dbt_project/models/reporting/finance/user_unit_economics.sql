{{ config(indexes=[{'columns': ['user_id'], 'unique': true}, {'columns': ['plan']}]) }}

with

users as (

    select
        user_id,
        plan,
        signup_date
    from {{ ref('dim_users') }}

),

balances as (

    select
        user_id,
        available_credits,
        lifetime_credits
    from {{ ref('stg_app__user_credits') }}

),

ledger as (

    select
        user_id,
        sum(case when transaction_type in ('purchase', 'plan_allocation') then credits else 0 end) as credits_acquired,
        -sum(case when transaction_type = 'usage' then credits else 0 end) as credits_consumed,
        -sum(case
            when transaction_type = 'usage' and created_at >= {{ dbt.dateadd('day', -30, reporting_time()) }}
                then credits
            else 0
        end) as credits_consumed_30d

    from {{ ref('stg_app__credit_transactions') }}
    group by user_id

),

recent_videos as (

    select
        user_id,
        count(*) as videos_30d
    from {{ ref('int_video_generation_costs') }}
    where created_at >= {{ dbt.dateadd('day', -30, reporting_time()) }}
    group by user_id

),

platform_credits_per_video as (

    select sum(credits) * 1.0 / nullif(count(*), 0) as credits_per_video
    from {{ ref('int_video_generation_costs') }}
    where created_at >= {{ dbt.dateadd('day', -30, reporting_time()) }}

),

revenue as (

    -- Net revenue as revenue_daily counts it (int_revenue_movements): payments less refunds and disputes.
    select
        user_id,
        sum(revenue_usd) as revenue_usd
    from {{ ref('int_revenue_movements') }}
    group by user_id

),

costs as (

    select
        user_id,
        sum(cost_usd) as ai_cost_usd
    from (
        select
            user_id,
            cost_usd
        from {{ ref('int_video_generation_costs') }}
        union all
        select
            user_id,
            cost_usd
        from {{ ref('fct_llm_calls') }}
    ) as all_costs
    group by user_id

),

final as (

    select
        users.user_id,
        users.plan,
        users.signup_date,
        coalesce(balances.available_credits, 0) as available_credits,
        coalesce(ledger.credits_acquired, 0) as credits_acquired,
        coalesce(ledger.credits_consumed, 0) as credits_consumed,
        coalesce(recent_videos.videos_30d, 0) as videos_30d,
        coalesce(
            ledger.credits_consumed_30d * 1.0 / nullif(recent_videos.videos_30d, 0),
            platform_credits_per_video.credits_per_video
        ) as credits_per_video,
        coalesce(revenue.revenue_usd, 0) as lifetime_revenue_usd,
        coalesce(costs.ai_cost_usd, 0) as lifetime_ai_cost_usd

    from users
    cross join platform_credits_per_video
    left join balances on users.user_id = balances.user_id
    left join ledger on users.user_id = ledger.user_id
    left join recent_videos on users.user_id = recent_videos.user_id
    left join revenue on users.user_id = revenue.user_id
    left join costs on users.user_id = costs.user_id

)

select
    user_id,
    plan,
    signup_date,
    available_credits,
    credits_acquired,
    credits_consumed,
    videos_30d,
    credits_per_video,
    floor(available_credits / nullif(credits_per_video, 0)) as estimated_remaining_videos,
    lifetime_revenue_usd,
    lifetime_ai_cost_usd,
    lifetime_revenue_usd - lifetime_ai_cost_usd as lifetime_gross_margin_usd
from final
