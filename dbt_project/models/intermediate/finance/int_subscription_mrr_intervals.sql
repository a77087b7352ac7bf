{#- One row per stretch of days a subscription's MRR holds: from each subscription invoice's period
    start to the next invoice's period start, cut at the day the subscription ended. -#}

with

subscription_invoices as (

    select
        invoice_id,
        subscription_id,
        customer_id,
        product_id,
        billing_interval,
        total_excluding_tax_cents,
        period_start
    from {{ ref('stg_stripe__invoices') }}
    where
        subscription_id is not null
        and status in ('paid', 'open')

),

subscriptions as (

    select
        subscription_id,
        ended_at
    from {{ ref('stg_stripe__subscriptions') }}

),

normalised as (

    select
        subscription_invoices.invoice_id,
        subscription_invoices.subscription_id,
        subscription_invoices.customer_id,
        subscription_invoices.product_id,
        subscription_invoices.billing_interval,
        cast(subscription_invoices.period_start as date) as valid_from,
        lead(cast(subscription_invoices.period_start as date)) over (
            partition by subscription_invoices.subscription_id
            order by subscription_invoices.period_start, subscription_invoices.invoice_id
        ) as next_period_from,
        cast(subscriptions.ended_at as date) as ended_on,
        case subscription_invoices.billing_interval
            when 'year' then subscription_invoices.total_excluding_tax_cents / 12.0
            else subscription_invoices.total_excluding_tax_cents * 1.0
        end as mrr_cents

    from subscription_invoices
    inner join subscriptions on subscription_invoices.subscription_id = subscriptions.subscription_id

),

intervals as (

    select
        invoice_id,
        subscription_id,
        customer_id,
        product_id,
        billing_interval,
        mrr_cents,
        valid_from,
        case
            when next_period_from is null then ended_on
            when ended_on is null then next_period_from
            when ended_on < next_period_from then ended_on
            else next_period_from
        end as valid_to

    from normalised

)

select
    invoice_id,
    subscription_id,
    customer_id,
    product_id,
    billing_interval,
    mrr_cents,
    valid_from,
    valid_to
from intervals
where valid_to is null or valid_to > valid_from
