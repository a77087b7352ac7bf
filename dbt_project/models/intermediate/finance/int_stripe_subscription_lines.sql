{#- Every subscription line of every invoice with its price joined (interval, unit amount) and what a whole billing
    period of it costs after discounts and without tax, normalised to a month: the building block of MRR.

    A regular line bills its item's full period, so its period price is its amount after discounts (less any tax
    included in it). A proration debit bills the rest of a period at a new price or quantity after a mid-period
    change: its amount is a fraction of a period and not recurring, but it says from when the new price holds, and a
    whole period at that price is the price's unit amount × quantity with the same share of discounts. A proration
    credit (negative amount) gives back the unused time of the old price: from then on the old price no longer holds
    (period price 0). Stripe's classic billing mode bills prorations net of the subscription's discount and marks
    them not discountable: a whole period at the new price then gets the discount share of the item's last regular
    line before the change (a percent coupon exact; an amount-off coupon as the share it took of the old price). -#}

with

lines as (

    select
        invoice_line_id,
        invoice_id,
        customer_id,
        invoice_status,
        subscription_id,
        subscription_item_id,
        is_proration,
        price_id,
        product_id,
        unit_amount_cents,
        quantity,
        amount_cents,
        is_discountable,
        discount_cents,
        inclusive_tax_cents,
        period_start,
        period_end,
        line_position
    from {{ ref('stg_stripe__invoice_lines') }}
    where parent_type = 'subscription_item_details'

),

prices as (

    select
        price_id,
        product_id,
        unit_amount_cents,
        recurring_interval,
        recurring_interval_count
    from {{ ref('stg_stripe__prices') }}

),

priced as (

    select
        lines.invoice_line_id,
        lines.invoice_id,
        lines.invoice_status,
        lines.customer_id,
        lines.subscription_id,
        lines.subscription_item_id,
        lines.is_proration,
        lines.amount_cents < 0 as is_credit,
        lines.price_id,
        coalesce(lines.product_id, prices.product_id) as product_id,
        prices.recurring_interval as billing_interval,
        prices.recurring_interval_count as interval_count,
        coalesce(prices.unit_amount_cents, lines.unit_amount_cents) as unit_amount_cents,
        coalesce(lines.quantity, 1) as quantity,
        lines.amount_cents,
        lines.is_discountable,
        lines.discount_cents,
        lines.amount_cents - lines.discount_cents - lines.inclusive_tax_cents as net_amount_cents,
        lines.period_start,
        lines.period_end,
        lines.line_position,
        -- Months one billing period lasts: month × 1, year × 12, week × 12/52, day × 12/365.
        coalesce(prices.recurring_interval_count, 1) * case prices.recurring_interval
            when 'month' then 1.0
            when 'year' then 12.0
            when 'week' then 12.0 / 52
            when 'day' then 12.0 / 365
        end as months_per_period

    from lines
    left join prices on lines.price_id = prices.price_id

),

discount_shares as (

    -- For each proration debit, the share of the price its item's last regular line before it paid after discounts.
    select
        debit_line_id,
        paid_share
    from (
        select
            debits.invoice_line_id as debit_line_id,
            regular.net_amount_cents * 1.0 / regular.amount_cents as paid_share,
            row_number() over (
                partition by debits.invoice_line_id
                order by regular.period_start desc, regular.invoice_line_id desc
            ) as recency
        from priced as debits
        inner join priced as regular
            on
                debits.subscription_id = regular.subscription_id
                and debits.subscription_item_id = regular.subscription_item_id
                and debits.period_start > regular.period_start
        where
            debits.is_proration and debits.amount_cents > 0 and not debits.is_discountable
            and not regular.is_proration and regular.amount_cents > 0
    ) as ranked
    where recency = 1

),

period_priced as (

    select
        priced.*,
        case
            when priced.is_credit then 0
            when not priced.is_proration then priced.net_amount_cents
            when priced.amount_cents > 0
                then round(
                    priced.unit_amount_cents * priced.quantity
                    * priced.net_amount_cents / priced.amount_cents
                    * coalesce(discount_shares.paid_share, 1)
                )
            else 0
        end as period_price_cents

    from priced
    left join discount_shares on priced.invoice_line_id = discount_shares.debit_line_id

)

select
    invoice_line_id,
    invoice_id,
    invoice_status,
    customer_id,
    subscription_id,
    subscription_item_id,
    is_proration,
    is_credit,
    price_id,
    product_id,
    billing_interval,
    interval_count,
    unit_amount_cents,
    quantity,
    amount_cents,
    discount_cents,
    net_amount_cents,
    period_start,
    period_end,
    line_position,
    period_price_cents,
    case
        when months_per_period = 1 then period_price_cents
        else period_price_cents / months_per_period
    end as mrr_cents
from period_priced
