{#- One row per stretch of time a Stripe subscription held one status, [valid_from, valid_to): the status changes,
    so the table grows with changes, never with subscriptions × days. Stripe keeps only a subscription's current
    state, so its history is rebuilt from what the warehouse has, in this order when two fall at the same time:
      1. created_at: active, or trialing when the subscription has a trial that started by then; trial_end:
         active;
      2. an invoice.payment_failed event on one of its invoices: past_due (incomplete for the first invoice,
         billing_reason subscription_create), Stripe's rule: payment on the latest invoice failed;
      3. that invoice's paid_at (or voided_at), after the failure: active again;
      4. stripe_updated_at, the time of the subscription's newest version: its status then, as Stripe says (this
         overrides 1-3 from then on: an unpaid, paused or trialing subscription shows here);
      5. ended_at: the final status, canceled (or incomplete_expired when Stripe says so); nothing after it counts.
    At one instant the last of these wins; consecutive points with the same status merge; points after the
    reporting time (a trial ending later) are not history yet. Past-due stretches older than the Events API's 30
    days before the first load are not visible (the subscription shows active). -#}

with

subscriptions as (

    select
        subscription_id,
        customer_id,
        status,
        created_at,
        trial_start,
        trial_end,
        stripe_updated_at,
        coalesce(
            ended_at,
            case when status in ('canceled', 'incomplete_expired') then coalesce(canceled_at, stripe_updated_at) end
        ) as ended_at,
        case when status = 'incomplete_expired' then status else 'canceled' end as final_status
    from {{ ref('stg_stripe__subscriptions') }}

),

invoices as (

    select
        invoice_id,
        subscription_id,
        billing_reason,
        coalesce(paid_at, voided_at) as settled_at
    from {{ ref('stg_stripe__invoices') }}
    where subscription_id is not null

),

payment_failures as (

    select
        invoices.invoice_id,
        invoices.subscription_id,
        invoices.billing_reason,
        invoices.settled_at,
        min(events.created_at) as failed_at
    from {{ ref('stg_stripe__events') }} as events
    inner join invoices on events.object_id = invoices.invoice_id
    where events.event_type = 'invoice.payment_failed'
    group by invoices.invoice_id, invoices.subscription_id, invoices.billing_reason, invoices.settled_at

),

points as (

    select
        subscription_id,
        created_at as changed_at,
        1 as point_order,
        case when trial_start <= created_at and trial_end > created_at then 'trialing' else 'active' end as status
    from subscriptions

    union all

    select
        subscription_id,
        trial_end as changed_at,
        1 as point_order,
        'active' as status
    from subscriptions
    where trial_end > created_at

    union all

    select
        subscription_id,
        failed_at as changed_at,
        2 as point_order,
        case when billing_reason = 'subscription_create' then 'incomplete' else 'past_due' end as status
    from payment_failures

    union all

    select
        subscription_id,
        settled_at as changed_at,
        3 as point_order,
        'active' as status
    from payment_failures
    where settled_at >= failed_at

    union all

    select
        subscription_id,
        stripe_updated_at as changed_at,
        4 as point_order,
        status
    from subscriptions
    where status not in ('canceled', 'incomplete_expired')

    union all

    select
        subscription_id,
        ended_at as changed_at,
        5 as point_order,
        final_status as status
    from subscriptions
    where ended_at is not null

),

in_life as (

    select
        points.subscription_id,
        subscriptions.customer_id,
        points.changed_at,
        points.point_order,
        points.status
    from points
    inner join subscriptions on points.subscription_id = subscriptions.subscription_id
    where
        points.changed_at is not null
        and points.changed_at >= subscriptions.created_at
        and points.changed_at <= {{ reporting_time() }}
        and (
            subscriptions.ended_at is null
            or points.changed_at < subscriptions.ended_at
            or points.point_order = 5
        )

),

at_each_time as (

    select
        subscription_id,
        customer_id,
        changed_at,
        status,
        row_number() over (
            partition by subscription_id, changed_at order by point_order desc
        ) as latest_at_that_time
    from in_life

),

ordered as (

    select
        subscription_id,
        customer_id,
        changed_at,
        status,
        lag(status) over (partition by subscription_id order by changed_at) as previous_status
    from at_each_time
    where latest_at_that_time = 1

),

changes as (

    select
        subscription_id,
        customer_id,
        changed_at,
        status
    from ordered
    where previous_status is null or previous_status != status

)

select
    subscription_id,
    customer_id,
    status,
    changed_at as valid_from,
    lead(changed_at) over (partition by subscription_id order by changed_at) as valid_to
from changes
