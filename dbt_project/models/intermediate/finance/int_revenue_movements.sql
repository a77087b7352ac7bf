{#- Net revenue, defined once: every movement of money that changes revenue, one row each, with its effect on
    revenue (excluding tax). revenue_daily, unit_economics_daily and user_unit_economics (and through them the
    week-over-week deltas and the email) all sum revenue_usd from here.

    payment  a captured charge: + its amount less its invoice's tax (fct_stripe_payments).
    refund   a refund's balance transaction (and a failed refund's, giving the money back).
    dispute  a dispute's balance transactions: the withdrawal when a chargeback opens, the reversal if it is won.
             An inquiry (warning_*) has none, so it changes nothing: balance transactions are the truth for money.

    Refunds and disputes of one charge never take back more than the charge: in time order, each one counts only
    what is left of the charge (a dispute on a refunded charge counts nothing; Stripe does withdraw it, and it is
    money to recover by answering the dispute with the refund, not lost revenue). They take back revenue in the
    charge's own revenue-to-amount share, so a taxed payment refunded in full nets to zero, its tax included. -#}

with

payments as (

    select
        charge_id,
        customer_id,
        user_id,
        revenue_type,
        paid_at,
        amount_usd,
        tax_usd,
        revenue_usd,
        stripe_fee_usd
    from {{ ref('fct_stripe_payments') }}

),

balance_transactions as (

    select
        balance_transaction_id,
        source_id,
        created_at,
        amount_cents,
        fee_cents
    from {{ ref('stg_stripe__balance_transactions') }}

),

refunds as (

    select
        refund_id,
        charge_id
    from {{ ref('stg_stripe__refunds') }}

),

disputes as (

    select
        dispute_id,
        charge_id
    from {{ ref('stg_stripe__disputes') }}

),

adjustments as (

    -- money_out_cents: what left the balance (positive), or came back (negative: a failed refund, a won dispute).
    select
        balance_transactions.balance_transaction_id as movement_id,
        'refund' as movement_type,
        refunds.refund_id as source_id,
        refunds.charge_id,
        balance_transactions.created_at as occurred_at,
        -balance_transactions.amount_cents as money_out_cents,
        balance_transactions.fee_cents
    from balance_transactions
    inner join refunds on balance_transactions.source_id = refunds.refund_id

    union all

    select
        balance_transactions.balance_transaction_id as movement_id,
        'dispute' as movement_type,
        disputes.dispute_id as source_id,
        disputes.charge_id,
        balance_transactions.created_at as occurred_at,
        -balance_transactions.amount_cents as money_out_cents,
        balance_transactions.fee_cents
    from balance_transactions
    inner join disputes on balance_transactions.source_id = disputes.dispute_id

),

capped as (

    -- What each adjustment counts: the change it makes to the charge's cumulative money out, clamped to
    -- [0, charge amount]. A charge missing from the payments (not captured, or not loaded) is not clamped.
    select
        adjustments.*,
        payments.customer_id,
        payments.user_id,
        payments.revenue_type,
        payments.amount_usd * 100 as charge_cents,
        payments.revenue_usd * 100 as charge_revenue_cents,
        sum(adjustments.money_out_cents) over (
            partition by adjustments.charge_id
            order by adjustments.occurred_at, adjustments.movement_id
            rows between unbounded preceding and current row
        ) as money_out_after_cents

    from adjustments
    left join payments on adjustments.charge_id = payments.charge_id

),

counted as (

    select
        *,
        case
            when charge_cents is null then money_out_cents
            else
                least(greatest(money_out_after_cents, 0), charge_cents)
                - least(greatest(money_out_after_cents - money_out_cents, 0), charge_cents)
        end as counted_out_cents

    from capped

),

counted_revenue as (

    select
        *,
        -- The revenue (excluding tax) share of what was taken back, to the cent.
        coalesce(round(counted_out_cents * charge_revenue_cents / nullif(charge_cents, 0)), counted_out_cents)
            as counted_revenue_out_cents

    from counted

),

movements as (

    select
        charge_id as movement_id,
        'payment' as movement_type,
        charge_id as source_id,
        charge_id,
        customer_id,
        user_id,
        revenue_type,
        paid_at as occurred_at,
        amount_usd as money_usd,
        amount_usd as counted_money_usd,
        revenue_usd,
        stripe_fee_usd
    from payments

    union all

    select
        movement_id,
        movement_type,
        source_id,
        charge_id,
        customer_id,
        user_id,
        revenue_type,
        occurred_at,
        round(-money_out_cents / 100.0, 2) as money_usd,
        round(-counted_out_cents / 100.0, 2) as counted_money_usd,
        round(-counted_revenue_out_cents / 100.0, 2) as revenue_usd,
        round(fee_cents / 100.0, 2) as stripe_fee_usd
    from counted_revenue

)

select
    movement_id,
    movement_type,
    source_id,
    charge_id,
    customer_id,
    user_id,
    revenue_type,
    occurred_at,
    cast(occurred_at as date) as occurred_on,
    money_usd,
    counted_money_usd,
    revenue_usd,
    stripe_fee_usd
from movements
