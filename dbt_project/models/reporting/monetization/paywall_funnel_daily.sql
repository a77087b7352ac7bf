{#- The monetization funnel of the Admin Analytics Plan by the day (UTC) its journeys started and the plan at the
    view. -#}

{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['plan_at_event']}]) }}

{{ paywall_funnel('journey_date', 'date_day') }}
