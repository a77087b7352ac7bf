{#- The Production Requirements doc's "Subscriptions (active, canceled, past_due)" over time: per day (UTC) and Stripe
    subscription status, the subscriptions in that status at the end of the day, from the status spells
    (int_subscription_status_spells) as +1 on the day a spell begins and -1 on the day it ends, summed over the days: no
    subscriptions × days. A spell that begins and ends within one day is in no day's count. canceled keeps every
    subscription that ended (Stripe lists them so too). active, canceled, past_due and trialing - the doc's statuses -
    have a row every day, zero or not; any other status Stripe has (incomplete, unpaid, paused, ...) has rows once it
    occurs. -#}

{{ config(indexes=[{'columns': ['date_day']}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

first_day as (

    select min(date_day) as date_day
    from days

),

spells as (

    select
        status,
        cast(valid_from as date) as first_day_in_status,
        cast(valid_to as date) as first_day_out
    from {{ ref('int_subscription_status_spells') }}

),

counted as (

    select
        status,
        first_day_in_status,
        first_day_out
    from spells
    where first_day_out is null or first_day_out > first_day_in_status

),

statuses as (

    select status
    from (values ('active'), ('canceled'), ('past_due'), ('trialing')) as documented (status)

    union

    select distinct status
    from counted

),

moves as (

    -- A move before the calendar's first day counts on that day, so the running total starts right.
    select
        counted.status,
        greatest(counted.first_day_in_status, first_day.date_day) as date_day,
        1 as entered,
        0 as exited
    from counted
    cross join first_day

    union all

    select
        counted.status,
        greatest(counted.first_day_out, first_day.date_day) as date_day,
        0 as entered,
        1 as exited
    from counted
    cross join first_day
    where counted.first_day_out is not null

),

moves_per_day as (

    select
        status,
        date_day,
        sum(entered) as entered,
        sum(exited) as exited
    from moves
    group by status, date_day

),

grid as (

    select
        days.date_day,
        statuses.status,
        coalesce(moves_per_day.entered, 0) as entered,
        coalesce(moves_per_day.exited, 0) as exited
    from days
    cross join statuses
    left join moves_per_day
        on
            days.date_day = moves_per_day.date_day
            and statuses.status = moves_per_day.status

)

select
    date_day,
    status,
    cast(sum(entered - exited) over (
        partition by status order by date_day rows between unbounded preceding and current row
    ) as bigint) as subscriptions,
    entered,
    exited
from grid
