{#- The drop-off charts' curve, pre-averaged: one row per 5% point for all course videos together (scope 'all',
    creator_id null) and one per creator and point (scope 'creator'), so a chart reads 21 rows instead of 21 per
    video. avg_share_remaining is avg(share_remaining) over the scope's videos, as the charts computed it over
    video_retention_curve (one value per video and point: each video weighs the same, whatever its views); the
    charts' metric (semantic/metrics.yml, avg_share_remaining) is sum(share_remaining_sum) / sum(videos), which is
    the same average over any set of creators, so a creator's row-level security (creator_id = theirs) still gives
    their own videos' average and an admin on the creator board the average over all. One pass over the curve
    (grouping sets). -#}

{{ config(indexes=[{'columns': ['scope', 'position_pct']}, {'columns': ['creator_id']}]) }}

with

curve as (

    select
        creator_id,
        position_pct,
        share_remaining,
        total_views,
        viewers_remaining
    from {{ ref('video_retention_curve') }}

),

rolled_up as (

    select
        creator_id,
        position_pct,
        grouping(creator_id) as is_all_videos,
        count(share_remaining) as videos,
        sum(share_remaining) as share_remaining_sum,
        avg(share_remaining) as avg_share_remaining,
        sum(total_views) as total_views,
        sum(viewers_remaining) as viewers_remaining
    from curve
    group by grouping sets ((creator_id, position_pct), (position_pct))

)

select
    case when is_all_videos = 1 then 'all' else 'creator' end as scope,
    creator_id,
    position_pct,
    cast(videos as bigint) as videos,
    share_remaining_sum,
    avg_share_remaining,
    cast(total_views as bigint) as total_views,
    cast(viewers_remaining as bigint) as viewers_remaining
from rolled_up
