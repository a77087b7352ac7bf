{#- The Admin Analytics Plan's paywall funnel over int_paywall_journeys, grouped by the period the journeys started
    (journey_column: journey_date or journey_week) and the plan at the view: one definition, two grains. -#}

{% macro paywall_funnel(journey_column, period_column) %}

with

journeys as (

    select
        {{ journey_column }},
        plan_at_event,
        clicked_at,
        checkout_at,
        purchased_at,
        hours_to_convert,
        is_journey_closed
    from {{ ref('int_paywall_journeys') }}

),

per_period as (

    select
        {{ journey_column }} as {{ period_column }},
        plan_at_event,
        count(*) as journeys_viewed,
        count(clicked_at) as journeys_clicked_package,
        count(checkout_at) as journeys_initiated_checkout,
        count(purchased_at) as journeys_completed_purchase,
        count(case when not is_journey_closed then 1 end) as journeys_still_open,
        {{ median('hours_to_convert') }} as median_hours_to_convert
    from journeys
    group by {{ journey_column }}, plan_at_event

)

select
    {{ period_column }},
    plan_at_event,
    journeys_viewed,
    journeys_clicked_package,
    journeys_initiated_checkout,
    journeys_completed_purchase,
    journeys_clicked_package * 1.0 / nullif(journeys_viewed, 0) as view_to_click_rate,
    journeys_initiated_checkout * 1.0 / nullif(journeys_clicked_package, 0) as click_to_checkout_rate,
    journeys_completed_purchase * 1.0 / nullif(journeys_initiated_checkout, 0) as checkout_to_purchase_rate,
    journeys_completed_purchase * 1.0 / nullif(journeys_viewed, 0) as overall_conversion_rate,
    journeys_viewed - journeys_clicked_package as dropped_after_view,
    journeys_clicked_package - journeys_initiated_checkout as dropped_after_click,
    journeys_initiated_checkout - journeys_completed_purchase as dropped_after_checkout,
    (journeys_viewed - journeys_clicked_package) * 1.0 / nullif(journeys_viewed, 0) as view_drop_off_rate,
    (journeys_clicked_package - journeys_initiated_checkout) * 1.0
    / nullif(journeys_clicked_package, 0) as click_drop_off_rate,
    (journeys_initiated_checkout - journeys_completed_purchase) * 1.0
    / nullif(journeys_initiated_checkout, 0) as checkout_drop_off_rate,
    median_hours_to_convert,
    journeys_still_open
from per_period

{% endmacro %}
