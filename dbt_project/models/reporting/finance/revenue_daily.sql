{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

{#- Cash revenue per day from int_revenue_movements, the one definition of net revenue. -#}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

movements as (

    select
        occurred_on,
        movement_type,
        revenue_type,
        money_usd,
        revenue_usd,
        stripe_fee_usd
    from {{ ref('int_revenue_movements') }}

),

payments as (

    select
        paid_on,
        tax_usd
    from {{ ref('fct_stripe_payments') }}

),

movements_per_day as (

    select
        occurred_on,
        count(case when movement_type = 'payment' then 1 end) as payments,
        sum(case when movement_type = 'payment' then money_usd else 0 end) as gross_charged_usd,
        sum(case when movement_type = 'payment' and revenue_type = 'subscription' then revenue_usd else 0 end)
            as subscription_revenue_usd,
        sum(case when movement_type = 'payment' and revenue_type = 'credit_pack' then revenue_usd else 0 end)
            as credit_pack_revenue_usd,
        -sum(case when movement_type = 'refund' then revenue_usd else 0 end) as refunds_usd,
        count(case when movement_type = 'refund' and money_usd < 0 then 1 end) as refund_count,
        -sum(case when movement_type = 'dispute' and money_usd < 0 then revenue_usd else 0 end) as disputes_usd,
        sum(case when movement_type = 'dispute' and money_usd > 0 then revenue_usd else 0 end) as dispute_reversals_usd,
        count(case when movement_type = 'dispute' and money_usd < 0 then 1 end) as dispute_count,
        -sum(case when movement_type = 'refund' then money_usd else 0 end) as money_refunded_usd,
        -sum(case when movement_type = 'dispute' then money_usd else 0 end) as money_disputed_usd,
        sum(revenue_usd) as net_revenue_usd,
        sum(stripe_fee_usd) as stripe_fees_usd

    from movements
    group by occurred_on

),

tax_per_day as (

    select
        paid_on,
        sum(tax_usd) as tax_usd
    from payments
    group by paid_on

),

final as (

    select
        days.date_day,
        coalesce(movements_per_day.payments, 0) as payments,
        coalesce(movements_per_day.gross_charged_usd, 0) as gross_charged_usd,
        coalesce(tax_per_day.tax_usd, 0) as tax_usd,
        coalesce(movements_per_day.subscription_revenue_usd, 0) as subscription_revenue_usd,
        coalesce(movements_per_day.credit_pack_revenue_usd, 0) as credit_pack_revenue_usd,
        coalesce(movements_per_day.subscription_revenue_usd, 0)
        + coalesce(movements_per_day.credit_pack_revenue_usd, 0) as gross_revenue_usd,
        coalesce(movements_per_day.refunds_usd, 0) as refunds_usd,
        coalesce(movements_per_day.refund_count, 0) as refund_count,
        coalesce(movements_per_day.disputes_usd, 0) as disputes_usd,
        coalesce(movements_per_day.dispute_reversals_usd, 0) as dispute_reversals_usd,
        coalesce(movements_per_day.dispute_count, 0) as dispute_count,
        coalesce(movements_per_day.net_revenue_usd, 0) as net_revenue_usd,
        coalesce(movements_per_day.money_refunded_usd, 0) as money_refunded_usd,
        coalesce(movements_per_day.money_disputed_usd, 0) as money_disputed_usd,
        coalesce(movements_per_day.stripe_fees_usd, 0) as stripe_fees_usd

    from days
    left join movements_per_day on days.date_day = movements_per_day.occurred_on
    left join tax_per_day on days.date_day = tax_per_day.paid_on

)

select
    date_day,
    payments,
    gross_charged_usd,
    tax_usd,
    subscription_revenue_usd,
    credit_pack_revenue_usd,
    gross_revenue_usd,
    refunds_usd,
    refund_count,
    disputes_usd,
    dispute_reversals_usd,
    dispute_count,
    net_revenue_usd,
    money_refunded_usd,
    money_disputed_usd,
    stripe_fees_usd
from final
