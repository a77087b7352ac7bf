{#- One row per paywall journey (the Admin Analytics Plan's monetization funnel). A journey starts at each 'viewed'
    event of a user and lasts until the earlier of the 7-day conversion window (viewed_at + 7 days, inclusive) and the
    user's next 'viewed' event (exclusive), so no later step is credited to two journeys. Steps count only in order: the
    first clicked_package strictly after the view, then the first initiated_checkout strictly after that click, then the
    first completed_purchase strictly after that checkout, each inside the journey. Events after the reporting clock do
    not exist yet. -#}

with

paywall_events as (

    select
        paywall_event_id,
        user_id,
        session_id,
        event_type,
        package_id,
        plan_at_event,
        created_at
    from {{ ref('stg_app__paywall_events') }}
    where created_at <= {{ reporting_time() }}

),

views as (

    select
        paywall_event_id as journey_id,
        user_id,
        session_id,
        plan_at_event,
        created_at as viewed_at,
        {{ dbt.dateadd('day', 7, 'created_at') }} as conversion_window_ends_at,
        lead(created_at) over (
            partition by user_id
            order by created_at, paywall_event_id
        ) as next_viewed_at
    from paywall_events
    where event_type = 'viewed'

),

click_candidates as (

    select
        views.journey_id,
        paywall_events.created_at as clicked_at,
        paywall_events.package_id as clicked_package_id,
        row_number() over (
            partition by views.journey_id
            order by paywall_events.created_at, paywall_events.paywall_event_id
        ) as candidate_order
    from views
    inner join paywall_events
        on
            views.user_id = paywall_events.user_id
            and paywall_events.event_type = 'clicked_package'
            and views.viewed_at < paywall_events.created_at
            and views.conversion_window_ends_at >= paywall_events.created_at
            and (views.next_viewed_at is null or views.next_viewed_at > paywall_events.created_at)

),

with_clicks as (

    select
        views.journey_id,
        views.user_id,
        views.session_id,
        views.plan_at_event,
        views.viewed_at,
        views.conversion_window_ends_at,
        views.next_viewed_at,
        click_candidates.clicked_at,
        click_candidates.clicked_package_id
    from views
    left join click_candidates
        on
            views.journey_id = click_candidates.journey_id
            and click_candidates.candidate_order = 1

),

checkout_candidates as (

    select
        with_clicks.journey_id,
        paywall_events.created_at as checkout_at,
        row_number() over (
            partition by with_clicks.journey_id
            order by paywall_events.created_at, paywall_events.paywall_event_id
        ) as candidate_order
    from with_clicks
    inner join paywall_events
        on
            with_clicks.user_id = paywall_events.user_id
            and paywall_events.event_type = 'initiated_checkout'
            and with_clicks.clicked_at < paywall_events.created_at
            and with_clicks.conversion_window_ends_at >= paywall_events.created_at
            and (with_clicks.next_viewed_at is null or with_clicks.next_viewed_at > paywall_events.created_at)

),

with_checkouts as (

    select
        with_clicks.journey_id,
        with_clicks.user_id,
        with_clicks.session_id,
        with_clicks.plan_at_event,
        with_clicks.viewed_at,
        with_clicks.conversion_window_ends_at,
        with_clicks.next_viewed_at,
        with_clicks.clicked_at,
        with_clicks.clicked_package_id,
        checkout_candidates.checkout_at
    from with_clicks
    left join checkout_candidates
        on
            with_clicks.journey_id = checkout_candidates.journey_id
            and checkout_candidates.candidate_order = 1

),

purchase_candidates as (

    select
        with_checkouts.journey_id,
        paywall_events.created_at as purchased_at,
        paywall_events.package_id as purchased_package_id,
        row_number() over (
            partition by with_checkouts.journey_id
            order by paywall_events.created_at, paywall_events.paywall_event_id
        ) as candidate_order
    from with_checkouts
    inner join paywall_events
        on
            with_checkouts.user_id = paywall_events.user_id
            and paywall_events.event_type = 'completed_purchase'
            and with_checkouts.checkout_at < paywall_events.created_at
            and with_checkouts.conversion_window_ends_at >= paywall_events.created_at
            and (with_checkouts.next_viewed_at is null or with_checkouts.next_viewed_at > paywall_events.created_at)

),

journeys as (

    select
        with_checkouts.journey_id,
        with_checkouts.user_id,
        with_checkouts.session_id,
        with_checkouts.plan_at_event,
        with_checkouts.viewed_at,
        with_checkouts.clicked_at,
        with_checkouts.clicked_package_id,
        with_checkouts.checkout_at,
        purchase_candidates.purchased_at,
        purchase_candidates.purchased_package_id,
        with_checkouts.conversion_window_ends_at,
        case
            when
                with_checkouts.next_viewed_at is not null
                and with_checkouts.next_viewed_at < with_checkouts.conversion_window_ends_at
                then with_checkouts.next_viewed_at
            else with_checkouts.conversion_window_ends_at
        end as journey_ends_at
    from with_checkouts
    left join purchase_candidates
        on
            with_checkouts.journey_id = purchase_candidates.journey_id
            and purchase_candidates.candidate_order = 1

)

select
    journey_id,
    user_id,
    session_id,
    plan_at_event,
    viewed_at,
    cast(viewed_at as date) as journey_date,
    cast({{ dbt.date_trunc('week', 'viewed_at') }} as date) as journey_week,
    clicked_at,
    clicked_package_id,
    checkout_at,
    purchased_at,
    purchased_package_id,
    case
        when purchased_at is not null then 4
        when checkout_at is not null then 3
        when clicked_at is not null then 2
        else 1
    end as steps_reached,
    case
        when purchased_at is not null then 'completed_purchase'
        when checkout_at is not null then 'initiated_checkout'
        when clicked_at is not null then 'clicked_package'
        else 'viewed'
    end as furthest_step,
    purchased_at is not null as is_converted,
    {{ dbt.datediff('viewed_at', 'purchased_at', 'second') }}
    / 3600.0 as hours_to_convert,
    conversion_window_ends_at,
    journey_ends_at,
    journey_ends_at <= {{ reporting_time() }} as is_journey_closed
from journeys
