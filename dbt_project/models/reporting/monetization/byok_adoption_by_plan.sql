{#- The Video Ready spec's BYOK adoption: generations on the prompt-ready page with the user's own key vs platform
    credits, by ISO week (Monday, UTC) of the generate event and plan at the event. -#}

{{ config(indexes=[{'columns': ['week_start']}, {'columns': ['plan_at_event']}]) }}

with

generations as (

    select
        user_id,
        event_type,
        plan_at_event,
        cast({{ dbt.date_trunc('week', 'created_at') }} as date) as week_start
    from {{ ref('stg_app__video_ready_events') }}
    where
        event_type in ('generate_with_credits', 'generate_with_own_key')
        and created_at <= {{ reporting_time() }}

),

per_week as (

    select
        week_start,
        plan_at_event,
        count(*) as generations,
        count(case when event_type = 'generate_with_own_key' then 1 end) as generations_with_own_key,
        count(case when event_type = 'generate_with_credits' then 1 end) as generations_with_credits,
        count(distinct user_id) as generating_users,
        count(distinct case when event_type = 'generate_with_own_key' then user_id end) as own_key_users
    from generations
    group by week_start, plan_at_event

)

select
    week_start,
    plan_at_event,
    generations,
    generations_with_own_key,
    generations_with_credits,
    generations_with_own_key * 1.0 / nullif(generations, 0) as own_key_share,
    generations_with_credits * 1.0 / nullif(generations, 0) as credits_share,
    generating_users,
    own_key_users
from per_week
