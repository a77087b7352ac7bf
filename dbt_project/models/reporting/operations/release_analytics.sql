{#- The Admin Analytics Plan's release analytics, one row per changelog entry: views, media coverage and the gap in days
    since the previous published entry. Published = published_at set and not after the reporting clock. -#}

with

entries as (

    select
        changelog_entry_id,
        release_version,
        title,
        view_count,
        video_url,
        thumbnail_url,
        published_at,
        created_at,
        coalesce(published_at <= {{ reporting_time() }}, false) as is_published
    from {{ ref('stg_app__changelog_entries') }}

),

published as (

    select
        changelog_entry_id,
        lag(published_at) over (order by published_at, changelog_entry_id) as previous_published_at
    from entries
    where is_published

)

select
    entries.changelog_entry_id,
    entries.release_version,
    entries.title,
    entries.is_published,
    entries.published_at,
    cast(entries.published_at as date) as published_date,
    entries.view_count,
    entries.video_url is not null as has_video,
    entries.thumbnail_url is not null as has_thumbnail,
    entries.video_url is not null and entries.thumbnail_url is not null as has_video_and_thumbnail,
    published.previous_published_at,
    {{ dbt.datediff('published.previous_published_at', 'entries.published_at', 'day') }}
        as days_since_previous_release,
    case
        when entries.is_published
            then {{ dbt.datediff('entries.published_at', reporting_time(), 'day') }}
    end as days_since_published,
    entries.created_at
from entries
left join published on entries.changelog_entry_id = published.changelog_entry_id
