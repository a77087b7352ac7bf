{#- A customer's MRR can only change on a day an interval starts or ends; on each such day this
    compares the MRR held that day with the day before and names the movement. -#}

with

intervals as (

    select
        customer_id,
        mrr_cents,
        valid_from,
        valid_to
    from {{ ref('int_subscription_mrr_intervals') }}

),

boundary_days as (

    select
        customer_id,
        valid_from as change_date
    from intervals

    union

    select
        customer_id,
        valid_to as change_date
    from intervals
    where valid_to is not null

),

mrr_around_change as (

    select
        boundary_days.customer_id,
        boundary_days.change_date,
        coalesce(sum(case
            when
                intervals.valid_from <= boundary_days.change_date
                and (intervals.valid_to is null or intervals.valid_to > boundary_days.change_date)
                then intervals.mrr_cents
        end), 0) as mrr_after_cents,
        coalesce(sum(case
            when
                intervals.valid_from <= {{ dbt.dateadd('day', -1, 'boundary_days.change_date') }}
                and (
                    intervals.valid_to is null
                    or intervals.valid_to > {{ dbt.dateadd('day', -1, 'boundary_days.change_date') }}
                )
                then intervals.mrr_cents
        end), 0) as mrr_before_cents,
        min(intervals.valid_from) as first_paid_on

    from boundary_days
    inner join intervals on boundary_days.customer_id = intervals.customer_id
    group by boundary_days.customer_id, boundary_days.change_date

),

movements as (

    select
        customer_id,
        cast(change_date as date) as change_date,
        mrr_before_cents,
        mrr_after_cents,
        mrr_after_cents - mrr_before_cents as mrr_change_cents,
        case
            when mrr_before_cents = 0 and mrr_after_cents > 0 and change_date = first_paid_on then 'new'
            when mrr_before_cents = 0 and mrr_after_cents > 0 then 'reactivation'
            when mrr_before_cents > 0 and mrr_after_cents = 0 then 'churn'
            when mrr_after_cents > mrr_before_cents then 'expansion'
            else 'contraction'
        end as movement

    from mrr_around_change
    where mrr_after_cents != mrr_before_cents

)

select
    customer_id,
    change_date,
    movement,
    mrr_before_cents,
    mrr_after_cents,
    mrr_change_cents
from movements
