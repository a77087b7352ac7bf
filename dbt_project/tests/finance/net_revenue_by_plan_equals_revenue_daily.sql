{#- Net revenue is defined once (int_revenue_movements). Per day, unit_economics_daily summed over its plans equals
    revenue_daily: gross margin nets disputes as revenue_daily does (issue 19 defect 1), and revenue of a user no
    longer in the app is kept under plan 'unknown', not dropped (defect 9). Rows returned are days that disagree. -#}

with

by_plan as (

    select
        date_day,
        sum(net_revenue_usd) as net_revenue_usd
    from {{ ref('unit_economics_daily') }}
    group by date_day

)

select
    revenue_daily.date_day,
    revenue_daily.net_revenue_usd,
    by_plan.net_revenue_usd as unit_economics_net_revenue_usd
from {{ ref('revenue_daily') }} as revenue_daily
left join by_plan on revenue_daily.date_day = by_plan.date_day
where abs(revenue_daily.net_revenue_usd - coalesce(by_plan.net_revenue_usd, 0)) >= 0.005
