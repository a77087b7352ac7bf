{{ config(indexes=[{'columns': ['month_start'], 'unique': true}]) }}

with

daily as (

    select
        mrr_daily.date_day,
        dim_dates.month_start,
        mrr_daily.starting_mrr_usd,
        mrr_daily.new_mrr_usd,
        mrr_daily.expansion_mrr_usd,
        mrr_daily.reactivation_mrr_usd,
        mrr_daily.contraction_mrr_usd,
        mrr_daily.churned_mrr_usd,
        mrr_daily.mrr_usd,
        mrr_daily.paying_customers,
        mrr_daily.new_customers,
        mrr_daily.reactivated_customers,
        mrr_daily.churned_customers,
        mrr_daily.arpu_usd,
        row_number() over (partition by dim_dates.month_start order by mrr_daily.date_day) as day_of_month_asc,
        row_number() over (partition by dim_dates.month_start order by mrr_daily.date_day desc) as day_of_month_desc

    from {{ ref('mrr_daily') }} as mrr_daily
    inner join {{ ref('dim_dates') }} as dim_dates on mrr_daily.date_day = dim_dates.date_day

),

months as (

    select
        month_start,
        max(case when day_of_month_asc = 1 then starting_mrr_usd end) as starting_mrr_usd,
        sum(new_mrr_usd) as new_mrr_usd,
        sum(expansion_mrr_usd) as expansion_mrr_usd,
        sum(reactivation_mrr_usd) as reactivation_mrr_usd,
        sum(contraction_mrr_usd) as contraction_mrr_usd,
        sum(churned_mrr_usd) as churned_mrr_usd,
        max(case when day_of_month_desc = 1 then mrr_usd end) as ending_mrr_usd,
        max(case when day_of_month_asc = 1 then paying_customers end) as starting_paying_customers,
        max(case when day_of_month_desc = 1 then paying_customers end) as ending_paying_customers,
        cast(sum(new_customers) as bigint) as new_customers,
        cast(sum(reactivated_customers) as bigint) as reactivated_customers,
        cast(sum(churned_customers) as bigint) as churned_customers,
        max(case when day_of_month_desc = 1 then arpu_usd end) as ending_arpu_usd

    from daily
    group by month_start

)

select
    month_start,
    starting_mrr_usd,
    new_mrr_usd,
    expansion_mrr_usd,
    reactivation_mrr_usd,
    contraction_mrr_usd,
    churned_mrr_usd,
    ending_mrr_usd,
    starting_paying_customers,
    ending_paying_customers,
    new_customers,
    reactivated_customers,
    churned_customers,
    ending_arpu_usd,
    churned_customers * 1.0 / nullif(starting_paying_customers, 0) as customer_churn_rate,
    (churned_mrr_usd + contraction_mrr_usd) / nullif(starting_mrr_usd, 0) as revenue_churn_rate,
    (starting_mrr_usd + expansion_mrr_usd - contraction_mrr_usd - churned_mrr_usd)
    / nullif(starting_mrr_usd, 0) as net_revenue_retention
from months
