{#- The Video Ready spec's next-step action mix on the prompt-ready page by ISO week (Monday, UTC): one row per week and
    action (copy prompt, open in Sora, share link, export PDF, export JSON), zero when not taken. -#}

{{ config(indexes=[{'columns': ['week_start']}]) }}

with

ready_events as (

    select
        video_id,
        event_type,
        cast({{ dbt.date_trunc('week', 'created_at') }} as date) as week_start
    from {{ ref('stg_app__video_ready_events') }}
    where created_at <= {{ reporting_time() }}

),

action_types as (

    select
        'copied_prompt' as action_type,
        'copy' as action_group
    union all
    select
        'opened_sora' as action_type,
        'open_sora' as action_group
    union all
    select
        'shared_link' as action_type,
        'share' as action_group
    union all
    select
        'exported_pdf' as action_type,
        'export' as action_group
    union all
    select
        'exported_json' as action_type,
        'export' as action_group

),

weeks as (

    select
        week_start,
        count(case when event_type = 'arrived' then 1 end) as arrivals,
        count(case
            when event_type in ('copied_prompt', 'opened_sora', 'shared_link', 'exported_pdf', 'exported_json')
                then 1
        end) as week_actions
    from ready_events
    group by week_start

),

per_action as (

    select
        week_start,
        event_type as action_type,
        count(*) as actions,
        count(distinct video_id) as videos_with_action
    from ready_events
    group by week_start, event_type

)

select
    weeks.week_start,
    action_types.action_type,
    action_types.action_group,
    coalesce(per_action.actions, 0) as actions,
    coalesce(per_action.actions, 0) * 1.0 / nullif(weeks.week_actions, 0) as share_of_actions,
    coalesce(per_action.videos_with_action, 0) as videos_with_action,
    weeks.arrivals,
    coalesce(per_action.videos_with_action, 0) * 1.0 / nullif(weeks.arrivals, 0) as share_of_arrivals
from weeks
cross join action_types
left join per_action
    on
        weeks.week_start = per_action.week_start
        and action_types.action_type = per_action.action_type
