{#- Net revenue is defined once (int_revenue_movements). Per plan, the users' lifetime revenue in
    user_unit_economics equals the plan's net revenue in unit_economics_daily over all days: lifetime revenue is net
    of refunds and disputes (issue 19 defect 3), not the sum of payments. Users no longer in the app ('unknown' in
    unit_economics_daily) have no user_unit_economics row and are left out of both sides. Rows returned are plans
    that disagree. -#}

with

lifetime as (

    select
        plan,
        sum(lifetime_revenue_usd) as net_revenue_usd
    from {{ ref('user_unit_economics') }}
    where plan is not null
    group by plan

),

daily as (

    select
        plan,
        sum(net_revenue_usd) as net_revenue_usd
    from {{ ref('unit_economics_daily') }}
    where plan != 'unknown'
    group by plan

)

select
    coalesce(lifetime.plan, daily.plan) as plan,
    lifetime.net_revenue_usd as lifetime_net_revenue_usd,
    daily.net_revenue_usd as daily_net_revenue_usd
from lifetime
full outer join daily on lifetime.plan = daily.plan
where abs(coalesce(lifetime.net_revenue_usd, 0) - coalesce(daily.net_revenue_usd, 0)) >= 0.005
