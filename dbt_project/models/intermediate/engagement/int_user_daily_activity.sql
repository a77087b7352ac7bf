{#- One row per user and day (UTC) with any activity: videos created, videos that finished (completed,
    or failed — a failed video's last update is its failure) and of those completed,
    prompts, exports or scene edits. Logins do not count: the app keeps only the latest login, which
    would rewrite history on every login (and break incremental == full refresh). -#}

with

videos as (

    select
        user_id,
        cast(created_at as date) as activity_date,
        count(*) as videos_created,
        0 as videos_finished,
        0 as videos_completed,
        0 as prompts,
        0 as exports,
        0 as scene_edits,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__videos') }}
    group by user_id, cast(created_at as date)

),

finished_videos as (

    select
        user_id,
        cast(case when status = 'completed' then completed_at else updated_at end as date) as activity_date,
        0 as videos_created,
        count(*) as videos_finished,
        count(case when status = 'completed' then 1 end) as videos_completed,
        0 as prompts,
        0 as exports,
        0 as scene_edits,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__videos') }}
    where status in ('completed', 'failed')
    group by user_id, cast(case when status = 'completed' then completed_at else updated_at end as date)

),

prompts as (

    select
        user_id,
        cast(created_at as date) as activity_date,
        0 as videos_created,
        0 as videos_finished,
        0 as videos_completed,
        count(*) as prompts,
        0 as exports,
        0 as scene_edits,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__messages') }}
    where role = 'user'
    group by user_id, cast(created_at as date)

),

exports as (

    select
        user_id,
        cast(created_at as date) as activity_date,
        0 as videos_created,
        0 as videos_finished,
        0 as videos_completed,
        0 as prompts,
        count(*) as exports,
        0 as scene_edits,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__exports') }}
    group by user_id, cast(created_at as date)

),

scene_edits as (

    select
        user_id,
        cast(created_at as date) as activity_date,
        0 as videos_created,
        0 as videos_finished,
        0 as videos_completed,
        0 as prompts,
        0 as exports,
        count(*) as scene_edits,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__scene_iterations') }}
    group by user_id, cast(created_at as date)

),

unioned as (

    select * from videos
    union all
    select * from finished_videos
    union all
    select * from prompts
    union all
    select * from exports
    union all
    select * from scene_edits

),

daily as (

    select
        user_id,
        activity_date,
        sum(videos_created) as videos_created,
        sum(videos_finished) as videos_finished,
        sum(videos_completed) as videos_completed,
        sum(prompts) as prompts,
        sum(exports) as exports,
        sum(scene_edits) as scene_edits,
        max(loaded_at) as loaded_at
    from unioned
    group by user_id, activity_date

)

select
    user_id,
    activity_date,
    videos_created,
    videos_finished,
    videos_completed,
    prompts,
    exports,
    scene_edits,
    loaded_at
from daily
