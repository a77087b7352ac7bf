{#- The MRR held on each day of dim_dates and how many customers hold any: the sum of the MRR intervals valid that
    day. Derived from the intervals independently of the movements (int_customer_mrr_changes), so mrr_daily's
    test that yesterday's MRR plus the day's movements equals today's checks one against the other.

    Counted as moves, not by joining every day to every interval (customers x days of work): an interval adds its MRR
    on valid_from and takes it away on valid_to, a customer starts paying on the day its first concurrent interval
    begins and stops on the day its last one ends, and the running sums over the days give what is held (the pattern
    of subscriptions_by_status_daily). The work grows with the intervals, not with the calendar. -#}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

first_day as (

    select min(date_day) as date_day
    from days

),

intervals as (

    select
        customer_id,
        mrr_cents,
        valid_from,
        valid_to
    from {{ ref('int_subscription_mrr_intervals') }}

),

interval_edges as (

    -- +1 when an interval begins, -1 when it ends; a move before the calendar's first day counts on that day, so
    -- the running sums start right.
    select
        intervals.customer_id,
        greatest(intervals.valid_from, first_day.date_day) as date_day,
        intervals.mrr_cents as mrr_change,
        1 as intervals_change
    from intervals
    cross join first_day

    union all

    select
        intervals.customer_id,
        greatest(intervals.valid_to, first_day.date_day) as date_day,
        -intervals.mrr_cents as mrr_change,
        -1 as intervals_change
    from intervals
    cross join first_day
    where intervals.valid_to is not null

),

customer_day_edges as (

    select
        customer_id,
        date_day,
        sum(mrr_change) as mrr_change,
        sum(intervals_change) as intervals_change
    from interval_edges
    group by customer_id, date_day

),

customer_intervals_held as (

    -- How many of its intervals a customer holds after each of its edge days.
    select
        customer_id,
        date_day,
        mrr_change,
        intervals_change,
        sum(intervals_change) over (
            partition by customer_id order by date_day rows between unbounded preceding and current row
        ) as intervals_after
    from customer_day_edges

),

customer_moves as (

    -- A customer starts paying when it goes from no interval to some, and stops when it goes back to none.
    select
        date_day,
        mrr_change,
        case
            when intervals_after > 0 and intervals_after - intervals_change = 0 then 1
            when intervals_after = 0 and intervals_after - intervals_change > 0 then -1
            else 0
        end as paying_change
    from customer_intervals_held

),

moves_per_day as (

    select
        date_day,
        sum(mrr_change) as mrr_change,
        sum(paying_change) as paying_change
    from customer_moves
    group by date_day

),

timeline as (

    select
        days.date_day,
        coalesce(moves_per_day.mrr_change, 0) as mrr_change,
        coalesce(moves_per_day.paying_change, 0) as paying_change
    from days
    left join moves_per_day on days.date_day = moves_per_day.date_day

)

select
    date_day,
    sum(mrr_change) over (order by date_day rows between unbounded preceding and current row) as mrr_cents,
    cast(sum(paying_change) over (order by date_day rows between unbounded preceding and current row) as bigint)
        as paying_customers
from timeline
