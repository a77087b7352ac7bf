{#- The Video Ready spec's prompt-ready page funnel by arrival day (UTC) and plan at the event:
    arrived → any next-step action → generate (with credits or the user's own key). -#}

{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['plan_at_event']}]) }}

with

visits as (

    select
        arrived_date,
        plan_at_event,
        has_action,
        has_generated,
        generation_method
    from {{ ref('int_video_ready_visits') }}

),

per_day as (

    select
        arrived_date as date_day,
        plan_at_event,
        count(*) as arrivals,
        count(case when has_action then 1 end) as arrivals_with_action,
        count(case when has_generated then 1 end) as arrivals_with_generation,
        count(case when generation_method = 'credits' then 1 end) as generations_with_credits,
        count(case when generation_method = 'own_key' then 1 end) as generations_with_own_key
    from visits
    group by arrived_date, plan_at_event

)

select
    date_day,
    plan_at_event,
    arrivals,
    arrivals_with_action,
    arrivals_with_generation,
    generations_with_credits,
    generations_with_own_key,
    arrivals_with_action * 1.0 / nullif(arrivals, 0) as action_rate,
    arrivals_with_generation * 1.0 / nullif(arrivals_with_action, 0) as action_to_generation_rate,
    arrivals_with_generation * 1.0 / nullif(arrivals, 0) as generation_rate,
    arrivals - arrivals_with_action as dropped_without_action
from per_day
