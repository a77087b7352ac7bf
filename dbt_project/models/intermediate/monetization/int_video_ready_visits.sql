{#- One row per video that reached the prompt-ready page of the Video Ready spec (its first 'arrived' event), with the
    actions taken on that video at or after the arrival: copy prompt, open in Sora, generate (with
    platform credits or the user's own key, BYOK), share link, export PDF / JSON. Events after the
    reporting clock do not exist yet.

    Incremental by video (a video's row depends only on its own events): a run rebuilds the videos with an event
    landed since the last build (less the lookback), deletions included (base_app__video_ready_events), from all of
    that video's events (raw's video_id index); a video left with no arrival is retired (pre-hook). An event stamped
    after the reporting clock is left out until its video is rebuilt again: the loader quarantines rows from the
    source's future, so only a replay with a clock set in the past (REELHOUSE_AS_OF) can hold one. -#}

-- depends_on: {{ ref('base_app__video_ready_events') }}

{{ config(
    materialized='incremental',
    unique_key='video_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['video_id'], 'unique': true}, {'columns': ['arrived_date']}],
    pre_hook="{{ retire_vanished_entities('video_id', [
        {'relation': ref('stg_app__video_ready_events'), 'where': \"event_type = 'arrived'\"}],
        among=keys_landed_since_last_build('video_id', [ref('base_app__video_ready_events')])) }}",
    post_hook="{{ landed_index('loaded_at') }}",
) }}

{%- set is_landed_video = in_query('video_id', 'select landed_videos.video_id from landed_videos') %}

with

{% if is_incremental() %}

    landed_videos as (

        {{ keys_landed_since_last_build('video_id', [ref('base_app__video_ready_events')]) }}

    ),

{% endif %}

ready_events as (

    select
        ready_event_id,
        user_id,
        video_id,
        event_type,
        plan_at_event,
        created_at,
        loaded_at
    from {{ ref('stg_app__video_ready_events') }}
    where created_at <= {{ reporting_time() }}{% if is_incremental() %} and {{ is_landed_video }}{% endif %}

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

),

landings as (

    -- When the newest of the video's events landed (what the next build's lower bound reads).
    select
        video_id,
        max(loaded_at) as loaded_at
    from ready_events
    group by video_id

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
    coalesce(actions.has_exported_json, false) as has_exported_json,
    landings.loaded_at,
    {{ build_stamp() }} as built_at
from first_arrivals
inner join landings on first_arrivals.video_id = landings.video_id
left join actions on first_arrivals.video_id = actions.video_id
