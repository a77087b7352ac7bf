{{ config(indexes=[{'columns': ['paid_on']}, {'columns': ['user_id']}]) }}

with

charges as (

    select
        charge_id,
        customer_id,
        invoice_id,
        pack_id,
        created_at,
        amount_cents,
        balance_transaction_id
    from {{ ref('stg_stripe__charges') }}
    where is_paid

),

invoices as (

    select
        invoice_id,
        product_id,
        billing_interval,
        tax_cents
    from {{ ref('stg_stripe__invoices') }}

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
        charges.invoice_id,
        charges.created_at as paid_at,
        cast(charges.created_at as date) as paid_on,
        case when charges.invoice_id is not null then 'subscription' else 'credit_pack' end as revenue_type,
        coalesce(invoices.product_id, charges.pack_id) as product,
        invoices.billing_interval,
        charges.amount_cents / 100.0 as amount_usd,
        coalesce(invoices.tax_cents, 0) / 100.0 as tax_usd,
        (charges.amount_cents - coalesce(invoices.tax_cents, 0)) / 100.0 as revenue_usd,
        coalesce(fees.fee_cents, 0) / 100.0 as stripe_fee_usd

    from charges
    left join invoices on charges.invoice_id = invoices.invoice_id
    left join customers on charges.customer_id = customers.customer_id
    left join fees on charges.balance_transaction_id = fees.balance_transaction_id

)

select
    charge_id,
    customer_id,
    user_id,
    invoice_id,
    paid_at,
    paid_on,
    revenue_type,
    product,
    billing_interval,
    amount_usd,
    tax_usd,
    revenue_usd,
    stripe_fee_usd
from payments
