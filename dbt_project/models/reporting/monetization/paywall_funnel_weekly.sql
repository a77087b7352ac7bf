{#- The monetization funnel of the Admin Analytics Plan by the ISO week (Monday, UTC) its journeys started and the plan
    at the view. -#}

{{ config(indexes=[{'columns': ['week_start']}, {'columns': ['plan_at_event']}]) }}

{{ paywall_funnel('journey_week', 'week_start') }}
