{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

mrr_held as (

    select
        date_day,
        mrr_cents,
        paying_customers
    from {{ ref('int_mrr_held_daily') }}

),

changes as (

    select
        change_date,
        movement,
        mrr_change_cents
    from {{ ref('int_customer_mrr_changes') }}

),

movements_per_day as (

    select
        change_date as date_day,
        sum(case when movement = 'new' then mrr_change_cents else 0 end) as new_mrr_cents,
        sum(case when movement = 'expansion' then mrr_change_cents else 0 end) as expansion_mrr_cents,
        sum(case when movement = 'reactivation' then mrr_change_cents else 0 end) as reactivation_mrr_cents,
        -sum(case when movement = 'contraction' then mrr_change_cents else 0 end) as contraction_mrr_cents,
        -sum(case when movement = 'churn' then mrr_change_cents else 0 end) as churned_mrr_cents,
        count(case when movement = 'new' then 1 end) as new_customers,
        count(case when movement = 'reactivation' then 1 end) as reactivated_customers,
        count(case when movement = 'churn' then 1 end) as churned_customers

    from changes
    group by change_date

),

final as (

    select
        mrr_held.date_day,
        coalesce(lag(mrr_held.mrr_cents) over (order by mrr_held.date_day), 0) / 100.0 as starting_mrr_usd,
        coalesce(movements_per_day.new_mrr_cents, 0) / 100.0 as new_mrr_usd,
        coalesce(movements_per_day.expansion_mrr_cents, 0) / 100.0 as expansion_mrr_usd,
        coalesce(movements_per_day.reactivation_mrr_cents, 0) / 100.0 as reactivation_mrr_usd,
        coalesce(movements_per_day.contraction_mrr_cents, 0) / 100.0 as contraction_mrr_usd,
        coalesce(movements_per_day.churned_mrr_cents, 0) / 100.0 as churned_mrr_usd,
        mrr_held.mrr_cents / 100.0 as mrr_usd,
        mrr_held.paying_customers,
        coalesce(movements_per_day.new_customers, 0) as new_customers,
        coalesce(movements_per_day.reactivated_customers, 0) as reactivated_customers,
        coalesce(movements_per_day.churned_customers, 0) as churned_customers,
        mrr_held.mrr_cents / 100.0 / nullif(mrr_held.paying_customers, 0) as arpu_usd

    from mrr_held
    left join movements_per_day on mrr_held.date_day = movements_per_day.date_day

)

select
    date_day,
    starting_mrr_usd,
    new_mrr_usd,
    expansion_mrr_usd,
    reactivation_mrr_usd,
    contraction_mrr_usd,
    churned_mrr_usd,
    mrr_usd,
    paying_customers,
    new_customers,
    reactivated_customers,
    churned_customers,
    arpu_usd
from final
