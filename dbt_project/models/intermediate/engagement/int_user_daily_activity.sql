{#- One row per user and day (UTC) on which the user did something in the editor: started a video, sent a
    prompt, exported or edited a scene — each counted on the day of the user's action (the row's created_at).
    Not activity: a render completing or failing (the system's work, and a failed video's only timestamp,
    updated_at, moves on any edit), logins (the app keeps only the latest, which would rewrite history on every
    login and break incremental == full refresh), paywall and billing events, uploads and video-ready page
    events (monetization and asset marts count those). -#}

with

videos as (

    select
        user_id,
        cast(created_at as date) as activity_date,
        count(*) as videos_created,
        0 as prompts,
        0 as exports,
        0 as scene_edits,
        max(loaded_at) as loaded_at
    from {{ ref('stg_app__videos') }}
    group by user_id, cast(created_at as date)

),

prompts as (

    select
        user_id,
        cast(created_at as date) as activity_date,
        0 as videos_created,
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
    prompts,
    exports,
    scene_edits,
    loaded_at
from daily
