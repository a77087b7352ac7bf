{#- One row per stretch of days a subscription item's price holds, from the invoice lines (prorations' amounts left
    out): each line holds from its service period's start until the period ends, the item's next line starts (a
    renewal, or a mid-period change's proration), or the subscription ends, whichever comes first. Lines of draft,
    open and paid invoices count (an open invoice is a past-due payment Stripe is still collecting); void and
    uncollectible ones do not. -#}

with

lines as (

    select
        invoice_line_id,
        invoice_id,
        customer_id,
        subscription_id,
        subscription_item_id,
        product_id,
        billing_interval,
        is_proration,
        is_credit,
        mrr_cents,
        period_start,
        period_end
    from {{ ref('int_stripe_subscription_lines') }}
    where invoice_status in ('draft', 'open', 'paid')

),

subscriptions as (

    select
        subscription_id,
        ended_at
    from {{ ref('stg_stripe__subscriptions') }}

),

sequenced as (

    -- Lines of one item starting at the same moment (a change's credit and debit): the credit first, then the
    -- proration debit, then a regular line: the last one holds.
    select
        lines.*,
        subscriptions.ended_at,
        lead(lines.period_start) over (
            partition by lines.subscription_id, coalesce(lines.subscription_item_id, lines.invoice_line_id)
            order by lines.period_start asc, lines.is_credit desc, lines.is_proration desc, lines.invoice_line_id asc
        ) as next_line_start

    from lines
    left join subscriptions on lines.subscription_id = subscriptions.subscription_id

),

intervals as (

    select
        invoice_line_id,
        invoice_id,
        subscription_id,
        subscription_item_id,
        customer_id,
        product_id,
        billing_interval,
        mrr_cents,
        cast(period_start as date) as valid_from,
        cast(least(period_end, coalesce(next_line_start, period_end), coalesce(ended_at, period_end)) as date)
            as valid_to

    from sequenced

)

select
    invoice_line_id,
    invoice_id,
    subscription_id,
    subscription_item_id,
    customer_id,
    product_id,
    billing_interval,
    mrr_cents,
    valid_from,
    valid_to
from intervals
where mrr_cents > 0 and valid_to > valid_from
