{#- The MRR held on each day of dim_dates and how many customers hold any: the sum of the MRR intervals valid that
    day. Derived from the intervals independently of the movements (int_customer_mrr_changes), so mrr_daily's
    test that yesterday's MRR plus the day's movements equals today's checks one against the other. -#}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

intervals as (

    select
        customer_id,
        mrr_cents,
        valid_from,
        valid_to
    from {{ ref('int_subscription_mrr_intervals') }}

)

select
    days.date_day,
    coalesce(sum(intervals.mrr_cents), 0) as mrr_cents,
    count(distinct intervals.customer_id) as paying_customers
from days
left join intervals
    on
        days.date_day >= intervals.valid_from
        and (intervals.valid_to is null or days.date_day < intervals.valid_to)
group by days.date_day
