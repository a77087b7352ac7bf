{{ config(indexes=[{'columns': ['paid_on']}, {'columns': ['user_id']}]) }}

{#- One row per captured charge. Which invoice it paid comes from Stripe's invoice payments (a charge has no
    `invoice` field since 2025-03-31): the invoice payment names the charge, or the payment intent the charge belongs
    to. What the invoice bought is its subscription line (the regular line before prorations, the largest first). -#}

with

charges as (

    select
        charge_id,
        customer_id,
        payment_intent_id,
        pack_id,
        created_at,
        amount_captured_cents,
        balance_transaction_id
    from {{ ref('stg_stripe__charges') }}
    where is_paid and is_captured

),

invoice_payments as (

    select
        invoice_id,
        charge_id,
        payment_intent_id,
        created_at
    from {{ ref('stg_stripe__invoice_payments') }}
    where status != 'canceled'

),

charge_invoice_links as (

    select
        charges.charge_id,
        invoice_payments.invoice_id,
        invoice_payments.created_at
    from charges
    inner join invoice_payments on charges.charge_id = invoice_payments.charge_id

    union all

    select
        charges.charge_id,
        invoice_payments.invoice_id,
        invoice_payments.created_at
    from charges
    inner join invoice_payments on charges.payment_intent_id = invoice_payments.payment_intent_id

),

charge_invoices as (

    select
        charge_id,
        invoice_id
    from (
        select
            charge_id,
            invoice_id,
            row_number() over (partition by charge_id order by created_at, invoice_id) as link_rank
        from charge_invoice_links
    ) as ranked
    where link_rank = 1

),

invoices as (

    select
        invoice_id,
        subscription_id,
        tax_cents,
        total_cents
    from {{ ref('stg_stripe__invoices') }}

),

invoice_main_lines as (

    select
        invoice_id,
        product_id,
        billing_interval
    from (
        select
            invoice_id,
            product_id,
            billing_interval,
            row_number() over (
                partition by invoice_id
                order by is_proration asc, amount_cents desc, line_position asc
            ) as line_rank
        from {{ ref('int_stripe_subscription_lines') }}
    ) as ranked
    where line_rank = 1

),

customers as (

    select
        customer_id,
        user_id
    from {{ ref('stg_stripe__customers') }}

),

fees as (

    select
        balance_transaction_id,
        fee_cents
    from {{ ref('stg_stripe__balance_transactions') }}

),

payments as (

    select
        charges.charge_id,
        charges.customer_id,
        customers.user_id,
        charge_invoices.invoice_id,
        invoices.subscription_id,
        charges.created_at as paid_at,
        cast(charges.created_at as date) as paid_on,
        case when invoices.subscription_id is not null then 'subscription' else 'credit_pack' end as revenue_type,
        coalesce(invoice_main_lines.product_id, charges.pack_id) as product,
        invoice_main_lines.billing_interval,
        charges.amount_captured_cents,
        -- The invoice's tax, in the share of the invoice this charge paid (all of it for a single payment).
        coalesce(
            round(invoices.tax_cents * 1.0 * charges.amount_captured_cents / nullif(invoices.total_cents, 0)), 0
        ) as tax_cents,
        coalesce(fees.fee_cents, 0) as fee_cents

    from charges
    left join charge_invoices on charges.charge_id = charge_invoices.charge_id
    left join invoices on charge_invoices.invoice_id = invoices.invoice_id
    left join invoice_main_lines on charge_invoices.invoice_id = invoice_main_lines.invoice_id
    left join customers on charges.customer_id = customers.customer_id
    left join fees on charges.balance_transaction_id = fees.balance_transaction_id

)

select
    charge_id,
    customer_id,
    user_id,
    invoice_id,
    subscription_id,
    paid_at,
    paid_on,
    revenue_type,
    product,
    billing_interval,
    round(amount_captured_cents / 100.0, 2) as amount_usd,
    round(tax_cents / 100.0, 2) as tax_usd,
    round((amount_captured_cents - tax_cents) / 100.0, 2) as revenue_usd,
    round(fee_cents / 100.0, 2) as stripe_fee_usd
from payments
