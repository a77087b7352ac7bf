{{ config(indexes=[{'columns': ['timeframe']}, {'columns': ['template_id']}]) }}

with

timeframes as (

    select
        timeframe,
        window_start,
        window_end,
        previous_window_start
    from {{ ref('int_timeframes') }}

),

templates as (

    select
        template_id,
        name as template_name,
        category,
        thumbnail_url
    from {{ ref('stg_app__templates') }}

),

usage as (

    select
        template_id,
        user_id,
        video_id,
        created_at
    from {{ ref('stg_app__template_usage') }}

),

video_exports as (

    select
        video_id,
        count(case when status = 'completed' then 1 end) as exports_completed,
        count(*) as exports_finished
    from {{ ref('stg_app__exports') }}
    where status in ('completed', 'failed')
    group by video_id

),

current_period as (

    select
        timeframes.timeframe,
        usage.template_id,
        count(*) as usage_count,
        count(distinct usage.user_id) as unique_users,
        sum(video_exports.exports_completed) as exports_completed,
        sum(video_exports.exports_finished) as exports_finished
    from timeframes
    inner join usage
        on
            timeframes.window_start <= usage.created_at
            and timeframes.window_end > usage.created_at
    left join video_exports on usage.video_id = video_exports.video_id
    group by timeframes.timeframe, usage.template_id

),

previous_period as (

    select
        timeframes.timeframe,
        usage.template_id,
        count(*) as usage_count
    from timeframes
    inner join usage
        on
            timeframes.previous_window_start <= usage.created_at
            and usage.created_at < case
                when timeframes.timeframe = 'all' then {{ dbt.dateadd('day', -7, 'timeframes.window_end') }}
                else timeframes.window_start
            end
    group by timeframes.timeframe, usage.template_id

),

ranked_current as (

    select
        current_period.timeframe,
        current_period.template_id,
        current_period.usage_count,
        current_period.unique_users,
        current_period.exports_completed * 1.0 / nullif(current_period.exports_finished, 0) as export_success_rate,
        rank() over (
            partition by current_period.timeframe order by current_period.usage_count desc
        ) as usage_rank
    from current_period

),

ranked_previous as (

    select
        timeframe,
        template_id,
        rank() over (partition by timeframe order by usage_count desc) as usage_rank
    from previous_period

)

select
    ranked_current.timeframe,
    ranked_current.usage_rank,
    ranked_current.template_id,
    templates.template_name,
    templates.category,
    templates.thumbnail_url,
    ranked_current.usage_count,
    ranked_current.unique_users,
    ranked_current.export_success_rate,
    ranked_previous.usage_rank as previous_rank,
    ranked_previous.usage_rank - ranked_current.usage_rank as rank_change
from ranked_current
inner join templates on ranked_current.template_id = templates.template_id
left join ranked_previous
    on
        ranked_current.timeframe = ranked_previous.timeframe
        and ranked_current.template_id = ranked_previous.template_id
