{#- One row per video that reached the prompt-ready page of the Video Ready spec (its first 'arrived' event), with the
    actions taken on that video at or after the arrival: copy prompt, open in Sora, generate (with
    platform credits or the user's own key, BYOK), share link, export PDF / JSON. Events after the
    reporting clock do not exist yet. -#}

with

ready_events as (

    select
        ready_event_id,
        user_id,
        video_id,
        event_type,
        plan_at_event,
        created_at
    from {{ ref('stg_app__video_ready_events') }}
    where created_at <= {{ reporting_time() }}

),

arrivals as (

    select
        video_id,
        user_id,
        plan_at_event,
        created_at as arrived_at,
        row_number() over (partition by video_id order by created_at, ready_event_id) as arrival_order
    from ready_events
    where event_type = 'arrived'

),

first_arrivals as (

    select
        video_id,
        user_id,
        plan_at_event,
        arrived_at
    from arrivals
    where arrival_order = 1

),

actions as (

    select
        first_arrivals.video_id,
        min(ready_events.created_at) as first_action_at,
        min(case
            when ready_events.event_type in ('generate_with_credits', 'generate_with_own_key')
                then ready_events.created_at
        end) as generated_at,
        min(case
            when ready_events.event_type = 'generate_with_own_key' then ready_events.created_at
        end) as generated_with_own_key_at,
        count(case when ready_events.event_type = 'copied_prompt' then 1 end) > 0 as has_copied_prompt,
        count(case when ready_events.event_type = 'opened_sora' then 1 end) > 0 as has_opened_sora,
        count(case when ready_events.event_type = 'shared_link' then 1 end) > 0 as has_shared_link,
        count(case when ready_events.event_type = 'exported_pdf' then 1 end) > 0 as has_exported_pdf,
        count(case when ready_events.event_type = 'exported_json' then 1 end) > 0 as has_exported_json
    from first_arrivals
    inner join ready_events
        on
            first_arrivals.video_id = ready_events.video_id
            and ready_events.event_type != 'arrived'
            and first_arrivals.arrived_at <= ready_events.created_at
    group by first_arrivals.video_id

)

select
    first_arrivals.video_id,
    first_arrivals.user_id,
    first_arrivals.plan_at_event,
    first_arrivals.arrived_at,
    cast(first_arrivals.arrived_at as date) as arrived_date,
    cast({{ dbt.date_trunc('week', 'first_arrivals.arrived_at') }} as date) as arrived_week,
    actions.first_action_at,
    actions.generated_at,
    case
        when actions.generated_at is null then null
        when actions.generated_at = actions.generated_with_own_key_at then 'own_key'
        else 'credits'
    end as generation_method,
    actions.first_action_at is not null as has_action,
    actions.generated_at is not null as has_generated,
    coalesce(actions.has_copied_prompt, false) as has_copied_prompt,
    coalesce(actions.has_opened_sora, false) as has_opened_sora,
    coalesce(actions.has_shared_link, false) as has_shared_link,
    coalesce(actions.has_exported_pdf, false) as has_exported_pdf,
    coalesce(actions.has_exported_json, false) as has_exported_json
from first_arrivals
left join actions on first_arrivals.video_id = actions.video_id
