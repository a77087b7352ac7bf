{#- The Admin Analytics Plan's release analytics summary, one row per timeframe of its route (30d/90d/all, each
    [window_start, reporting clock)): entries published in the window, the median of their gaps in days to
    the previous published entry (publish cadence), views, and media coverage shares. -#}

with

timeframes as (

    select
        '30d' as timeframe,
        {{ dbt.dateadd('day', -30, reporting_time()) }} as window_start
    union all
    select
        '90d' as timeframe,
        {{ dbt.dateadd('day', -90, reporting_time()) }} as window_start
    union all
    select
        'all' as timeframe,
        cast('1970-01-01' as {{ dbt.type_timestamp() }}) as window_start

),

releases as (

    select
        published_at,
        view_count,
        has_video,
        has_thumbnail,
        has_video_and_thumbnail,
        days_since_previous_release
    from {{ ref('release_analytics') }}
    where is_published

),

per_timeframe as (

    select
        timeframes.timeframe,
        count(releases.published_at) as releases_published,
        max(releases.published_at) as last_published_at,
        {{ median('releases.days_since_previous_release') }} as median_days_between_releases,
        sum(releases.view_count) as total_views,
        avg(releases.view_count) as avg_views_per_release,
        count(case when releases.has_video then 1 end) as releases_with_video,
        count(case when releases.has_thumbnail then 1 end) as releases_with_thumbnail,
        count(case when releases.has_video_and_thumbnail then 1 end) as releases_with_video_and_thumbnail
    from timeframes
    left join releases on timeframes.window_start <= releases.published_at
    group by timeframes.timeframe

)

select
    timeframe,
    releases_published,
    last_published_at,
    median_days_between_releases,
    coalesce(total_views, 0) as total_views,
    avg_views_per_release,
    releases_with_video * 1.0 / nullif(releases_published, 0) as video_coverage,
    releases_with_thumbnail * 1.0 / nullif(releases_published, 0) as thumbnail_coverage,
    releases_with_video_and_thumbnail * 1.0 / nullif(releases_published, 0) as video_and_thumbnail_coverage
from per_timeframe
