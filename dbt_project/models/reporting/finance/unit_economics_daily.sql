{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['plan']}]) }}

with

users as (

    select
        user_id,
        plan
    from {{ ref('dim_users') }}

),

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

revenue as (

    -- Net revenue as revenue_daily counts it (int_revenue_movements: payments less refunds and disputes, by the day
    -- the money moved), by the plan of the user it came from.
    select
        movements.occurred_on as date_day,
        coalesce(users.plan, 'unknown') as plan,
        sum(movements.revenue_usd) as net_revenue_usd

    from {{ ref('int_revenue_movements') }} as movements
    left join users on movements.user_id = users.user_id
    group by movements.occurred_on, coalesce(users.plan, 'unknown')

),

video_costs as (

    select
        cast(costs.created_at as date) as date_day,
        coalesce(users.plan, 'unknown') as plan,
        sum(costs.cost_usd) as video_provider_cost_usd,
        count(distinct costs.video_id) as videos_generated,
        count(distinct costs.user_id) as generating_users

    from {{ ref('int_video_generation_costs') }} as costs
    left join users on costs.user_id = users.user_id
    group by cast(costs.created_at as date), coalesce(users.plan, 'unknown')

),

llm_user_days as (

    -- One row per user and day before the plan is joined: the calls collapse in one hash pass, and users per plan
    -- become a plain count (a distinct count over every call sorted all of them: 2.7 of this model's 3.5 s).
    select
        cast(created_at as date) as date_day,
        user_id,
        sum(cost_usd) as llm_cost_usd
    from {{ ref('fct_llm_calls') }}
    group by cast(created_at as date), user_id

),

llm_costs as (

    select
        llm_user_days.date_day,
        coalesce(users.plan, 'unknown') as plan,
        sum(llm_user_days.llm_cost_usd) as llm_cost_usd,
        count(llm_user_days.user_id) as llm_users

    from llm_user_days
    left join users on llm_user_days.user_id = users.user_id
    group by llm_user_days.date_day, coalesce(users.plan, 'unknown')

),

plans as (

    -- Every plan that has users, revenue or cost: revenue or cost booked to a user who is gone (deleted, so not in
    -- dim_users: plan 'unknown') keeps its row.
    select plan from users
    union
    select plan from revenue
    union
    select plan from video_costs
    union
    select plan from llm_costs

),

day_plans as (

    select
        days.date_day,
        plans.plan
    from days
    cross join plans

),

final as (

    select
        day_plans.date_day,
        day_plans.plan,
        coalesce(revenue.net_revenue_usd, 0) as net_revenue_usd,
        coalesce(video_costs.video_provider_cost_usd, 0) as video_provider_cost_usd,
        coalesce(llm_costs.llm_cost_usd, 0) as llm_cost_usd,
        coalesce(video_costs.video_provider_cost_usd, 0) + coalesce(llm_costs.llm_cost_usd, 0) as ai_cost_usd,
        coalesce(video_costs.videos_generated, 0) as videos_generated,
        greatest(coalesce(video_costs.generating_users, 0), coalesce(llm_costs.llm_users, 0)) as costing_users

    from day_plans
    left join revenue on day_plans.date_day = revenue.date_day and day_plans.plan = revenue.plan
    left join video_costs on day_plans.date_day = video_costs.date_day and day_plans.plan = video_costs.plan
    left join llm_costs on day_plans.date_day = llm_costs.date_day and day_plans.plan = llm_costs.plan

)

select
    date_day,
    plan,
    net_revenue_usd,
    video_provider_cost_usd,
    llm_cost_usd,
    ai_cost_usd,
    net_revenue_usd - ai_cost_usd as gross_margin_usd,
    (net_revenue_usd - ai_cost_usd) / nullif(net_revenue_usd, 0) as gross_margin_rate,
    videos_generated,
    ai_cost_usd / nullif(videos_generated, 0) as ai_cost_per_video_usd,
    costing_users,
    ai_cost_usd / nullif(costing_users, 0) as ai_cost_per_user_usd
from final
