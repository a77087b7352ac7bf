{#- One row per user and day (UTC) with any activity: videos created, finished and completed,
    prompts, exports, scene edits, or a login. -#}

with

videos as (

    select
        user_id,
        cast(created_at as date) as activity_date,
        count(*) as videos_created,
        count(case when status in ('completed', 'failed') then 1 end) as videos_finished,
        count(case when status = 'completed' then 1 end) as videos_completed,
        0 as prompts,
        0 as exports,
        0 as scene_edits,
        0 as logins
    from {{ ref('stg_app__videos') }}
    group by user_id, cast(created_at as date)

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
        0 as logins
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
        0 as logins
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
        0 as logins
    from {{ ref('stg_app__scene_iterations') }}
    group by user_id, cast(created_at as date)

),

logins as (

    select
        user_id,
        cast(last_login_at as date) as activity_date,
        0 as videos_created,
        0 as videos_finished,
        0 as videos_completed,
        0 as prompts,
        0 as exports,
        0 as scene_edits,
        1 as logins
    from {{ ref('stg_app__users') }}
    where last_login_at is not null

),

unioned as (

    select * from videos
    union all
    select * from prompts
    union all
    select * from exports
    union all
    select * from scene_edits
    union all
    select * from logins

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
        sum(logins) as logins
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
    logins
from daily
