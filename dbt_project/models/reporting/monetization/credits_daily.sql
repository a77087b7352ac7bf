{#- Credit flows per day (UTC) from the Dashboard Proposal's ledger, every calendar day (zero when none): credits
    purchased (purchase + plan_allocation), consumed (usage), refunded and expired, each as a positive
    number of credits, plus the signed net change. -#}

{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

days as (

    select
        date_day,
        week_start
    from {{ ref('dim_dates') }}

),

credit_transactions as (

    select
        transaction_date,
        user_id,
        transaction_type,
        credits
    from {{ ref('fct_credit_transactions') }}

),

per_day as (

    select
        transaction_date,
        sum(case when transaction_type in ('purchase', 'plan_allocation') then credits else 0 end)
            as credits_purchased,
        sum(case when transaction_type = 'purchase' then credits else 0 end) as credits_bought_in_packs,
        sum(case when transaction_type = 'plan_allocation' then credits else 0 end) as credits_allocated_by_plans,
        -1 * sum(case when transaction_type = 'usage' then credits else 0 end) as credits_consumed,
        -1 * sum(case when transaction_type = 'refund' then credits else 0 end) as credits_refunded,
        -1 * sum(case when transaction_type = 'expiration' then credits else 0 end) as credits_expired,
        sum(credits) as net_credit_change,
        count(*) as ledger_entries,
        count(distinct case when transaction_type = 'purchase' then user_id end) as purchasing_users
    from credit_transactions
    group by transaction_date

)

select
    days.date_day,
    days.week_start,
    coalesce(per_day.credits_purchased, 0) as credits_purchased,
    coalesce(per_day.credits_bought_in_packs, 0) as credits_bought_in_packs,
    coalesce(per_day.credits_allocated_by_plans, 0) as credits_allocated_by_plans,
    coalesce(per_day.credits_consumed, 0) as credits_consumed,
    coalesce(per_day.credits_refunded, 0) as credits_refunded,
    coalesce(per_day.credits_expired, 0) as credits_expired,
    coalesce(per_day.net_credit_change, 0) as net_credit_change,
    coalesce(per_day.ledger_entries, 0) as ledger_entries,
    coalesce(per_day.purchasing_users, 0) as purchasing_users
from days
left join per_day on days.date_day = per_day.transaction_date
