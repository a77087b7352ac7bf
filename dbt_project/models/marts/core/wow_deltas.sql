{#- Seed 004 week-over-week comparison for the headline metrics, over 1, 2 and 4-week windows. -#}

with

windows as (

    select
        weeks,
        period,
        window_start,
        window_end
    from {{ ref('int_wow_windows') }}

),

exports_daily as (

    -- Counted per day first: each window then sums a few dozen days instead of matching every export again.
    select
        cast(created_at as date) as created_on,
        count(export_id) as exports,
        count(case when status = 'completed' then 1 end) as completed_exports
    from {{ ref('stg_app__exports') }}
    group by cast(created_at as date)

),

exports as (

    select
        windows.weeks,
        windows.period,
        'export_success_rate' as metric,
        sum(exports_daily.completed_exports) * 1.0 / nullif(sum(exports_daily.exports), 0) as value
    from windows
    left join exports_daily
        on
            windows.window_start <= exports_daily.created_on
            and windows.window_end > exports_daily.created_on
    group by windows.weeks, windows.period

),

paying_users as (

    select
        windows.weeks,
        windows.period,
        'paying_users' as metric,
        count(distinct ledger.user_id) * 1.0 as value
    from windows
    left join {{ ref('stg_app__credit_transactions') }} as ledger
        on
            ledger.transaction_type = 'purchase'
            and cast(ledger.created_at as date) >= windows.window_start
            and cast(ledger.created_at as date) < windows.window_end
    group by windows.weeks, windows.period

),

active_users as (

    select
        windows.weeks,
        windows.period,
        'active_users' as metric,
        count(distinct activity.user_id) * 1.0 as value
    from windows
    left join {{ ref('int_user_daily_activity') }} as activity
        on
            windows.window_start <= activity.activity_date
            and windows.window_end > activity.activity_date
    group by windows.weeks, windows.period

),

videos_daily as (

    select
        cast(created_at as date) as created_on,
        count(video_id) as videos_created
    from {{ ref('stg_app__videos') }}
    group by cast(created_at as date)

),

videos as (

    select
        windows.weeks,
        windows.period,
        'videos_created' as metric,
        coalesce(sum(videos_daily.videos_created), 0) * 1.0 as value
    from windows
    left join videos_daily
        on
            windows.window_start <= videos_daily.created_on
            and windows.window_end > videos_daily.created_on
    group by windows.weeks, windows.period

),

revenue as (

    select
        windows.weeks,
        windows.period,
        'net_revenue_usd' as metric,
        coalesce(sum(revenue_daily.net_revenue_usd), 0) as value
    from windows
    left join {{ ref('revenue_daily') }} as revenue_daily
        on
            windows.window_start <= revenue_daily.date_day
            and windows.window_end > revenue_daily.date_day
    group by windows.weeks, windows.period

),

margin as (

    select
        windows.weeks,
        windows.period,
        'gross_margin_usd' as metric,
        coalesce(sum(economics.gross_margin_usd), 0) as value
    from windows
    left join {{ ref('unit_economics_daily') }} as economics
        on
            windows.window_start <= economics.date_day
            and windows.window_end > economics.date_day
    group by windows.weeks, windows.period

),

values_per_window as (

    select
        weeks,
        period,
        metric,
        value
    from exports
    union all
    select
        weeks,
        period,
        metric,
        value
    from paying_users
    union all
    select
        weeks,
        period,
        metric,
        value
    from active_users
    union all
    select
        weeks,
        period,
        metric,
        value
    from videos
    union all
    select
        weeks,
        period,
        metric,
        value
    from revenue
    union all
    select
        weeks,
        period,
        metric,
        value
    from margin

),

compared as (

    select
        values_per_window.metric,
        values_per_window.weeks,
        max(case when values_per_window.period = 'current' then windows.window_start end) as current_start,
        max(case when values_per_window.period = 'current' then windows.window_end end) as current_end,
        max(case when values_per_window.period = 'current' then values_per_window.value end) as current_value,
        max(case when values_per_window.period = 'previous' then values_per_window.value end) as previous_value
    from values_per_window
    inner join windows
        on
            values_per_window.weeks = windows.weeks
            and values_per_window.period = windows.period
    group by values_per_window.metric, values_per_window.weeks

)

select
    metric,
    weeks,
    current_start,
    current_end,
    current_value,
    previous_value,
    current_value - previous_value as absolute_change,
    case
        when previous_value is null or previous_value = 0 then null
        else (current_value - previous_value) / abs(previous_value)
    end as pct_change
from compared
