{{ config(indexes=[{'columns': ['timeframe']}, {'columns': ['template_id']}]) }}

with

timeframes as (

    select
        timeframe,
        window_start,
        window_end,
        previous_window_start,
        case
            when timeframe = 'all' then {{ dbt.dateadd('day', -7, 'window_end') }}
            else window_start
        end as previous_window_end
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
        template_usage.template_id,
        template_usage.user_id,
        template_usage.video_id,
        template_usage.created_at
    from {{ ref('stg_app__template_usage') }} as template_usage
    inner join templates on template_usage.template_id = templates.template_id

),

finished_exports as (

    select
        video_id,
        status,
        created_at
    from {{ ref('stg_app__exports') }}
    where status in ('completed', 'failed')

),

current_usage as (

    select
        timeframes.timeframe,
        timeframes.window_start,
        timeframes.window_end,
        usage.template_id,
        usage.user_id,
        usage.video_id
    from timeframes
    inner join usage
        on
            timeframes.window_start <= usage.created_at
            and timeframes.window_end > usage.created_at

),

current_period as (

    select
        timeframe,
        template_id,
        count(*) as usage_count,
        count(distinct user_id) as unique_users
    from current_usage
    group by timeframe, template_id

),

template_videos as (

    select distinct
        timeframe,
        window_start,
        window_end,
        template_id,
        video_id
    from current_usage
    where video_id is not null

),

template_exports as (

    select
        template_videos.timeframe,
        template_videos.template_id,
        count(case when finished_exports.status = 'completed' then 1 end) as exports_completed,
        count(*) as exports_finished
    from template_videos
    inner join finished_exports
        on
            template_videos.video_id = finished_exports.video_id
            and template_videos.window_start <= finished_exports.created_at
            and template_videos.window_end > finished_exports.created_at
    group by template_videos.timeframe, template_videos.template_id

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
            and timeframes.previous_window_end > usage.created_at
    group by timeframes.timeframe, usage.template_id

),

ranked_current as (

    select
        current_period.timeframe,
        current_period.template_id,
        templates.template_name,
        templates.category,
        templates.thumbnail_url,
        current_period.usage_count,
        current_period.unique_users,
        template_exports.exports_completed * 1.0 / nullif(template_exports.exports_finished, 0) as export_success_rate,
        dense_rank() over (
            partition by current_period.timeframe order by current_period.usage_count desc
        ) as usage_rank,
        row_number() over (
            partition by current_period.timeframe
            order by current_period.usage_count desc, templates.template_name asc, current_period.template_id asc
        ) as leaderboard_position
    from current_period
    inner join templates on current_period.template_id = templates.template_id
    left join template_exports
        on
            current_period.timeframe = template_exports.timeframe
            and current_period.template_id = template_exports.template_id

),

ranked_previous as (

    select
        timeframe,
        template_id,
        dense_rank() over (partition by timeframe order by usage_count desc) as usage_rank
    from previous_period

)

select
    ranked_current.timeframe,
    ranked_current.usage_rank,
    ranked_current.leaderboard_position,
    ranked_current.template_id,
    ranked_current.template_name,
    ranked_current.category,
    ranked_current.thumbnail_url,
    ranked_current.usage_count,
    ranked_current.unique_users,
    ranked_current.export_success_rate,
    ranked_previous.usage_rank as previous_rank,
    ranked_previous.usage_rank - ranked_current.usage_rank as rank_change
from ranked_current
left join ranked_previous
    on
        ranked_current.timeframe = ranked_previous.timeframe
        and ranked_current.template_id = ranked_previous.template_id
