{{ config(indexes=[{'columns': ['date_day'], 'unique': true}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

payments as (

    select
        paid_on,
        revenue_type,
        amount_usd,
        tax_usd,
        revenue_usd,
        stripe_fee_usd
    from {{ ref('fct_stripe_payments') }}

),

refunds as (

    select
        cast(created_at as date) as refunded_on,
        amount_cents
    from {{ ref('stg_stripe__refunds') }}

),

disputes as (

    select
        cast(created_at as date) as disputed_on,
        amount_cents
    from {{ ref('stg_stripe__disputes') }}

),

payments_per_day as (

    select
        paid_on,
        sum(amount_usd) as gross_charged_usd,
        sum(tax_usd) as tax_usd,
        sum(case when revenue_type = 'subscription' then revenue_usd else 0 end) as subscription_revenue_usd,
        sum(case when revenue_type = 'credit_pack' then revenue_usd else 0 end) as credit_pack_revenue_usd,
        sum(stripe_fee_usd) as stripe_fees_usd,
        count(*) as payments

    from payments
    group by paid_on

),

refunds_per_day as (

    select
        refunded_on,
        sum(amount_cents) / 100.0 as refunds_usd,
        count(*) as refund_count

    from refunds
    group by refunded_on

),

disputes_per_day as (

    select
        disputed_on,
        sum(amount_cents) / 100.0 as disputes_usd,
        count(*) as dispute_count

    from disputes
    group by disputed_on

),

final as (

    select
        days.date_day,
        coalesce(payments_per_day.payments, 0) as payments,
        coalesce(payments_per_day.gross_charged_usd, 0) as gross_charged_usd,
        coalesce(payments_per_day.tax_usd, 0) as tax_usd,
        coalesce(payments_per_day.subscription_revenue_usd, 0) as subscription_revenue_usd,
        coalesce(payments_per_day.credit_pack_revenue_usd, 0) as credit_pack_revenue_usd,
        coalesce(payments_per_day.subscription_revenue_usd, 0)
        + coalesce(payments_per_day.credit_pack_revenue_usd, 0) as gross_revenue_usd,
        coalesce(refunds_per_day.refunds_usd, 0) as refunds_usd,
        coalesce(refunds_per_day.refund_count, 0) as refund_count,
        coalesce(disputes_per_day.disputes_usd, 0) as disputes_usd,
        coalesce(disputes_per_day.dispute_count, 0) as dispute_count,
        coalesce(payments_per_day.stripe_fees_usd, 0) as stripe_fees_usd

    from days
    left join payments_per_day on days.date_day = payments_per_day.paid_on
    left join refunds_per_day on days.date_day = refunds_per_day.refunded_on
    left join disputes_per_day on days.date_day = disputes_per_day.disputed_on

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
    dispute_count,
    gross_revenue_usd - refunds_usd - disputes_usd as net_revenue_usd,
    stripe_fees_usd
from final
