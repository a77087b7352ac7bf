{#- One row per user and day (UTC) on which the user did something in the editor: started a video, sent a
    prompt, exported or edited a scene — each counted on the day of the user's action (the row's created_at).
    Not activity: a render completing or failing (the system's work, and a failed video's only timestamp,
    updated_at, moves on any edit), logins (the app keeps only the latest, which would rewrite history on every
    login and break incremental == full refresh), paywall and billing events, uploads and video-ready page
    events (monetization and asset marts count those).

    Incremental by day (a day's rows are rebuilt together, a partition overwrite): a run rebuilds the days on which
    a video, message, export or scene edit landed since the last build (less the lookback), deletions included (the
    base_ models keep them), from all of that day's rows (raw's created_at indexes), so an hour costs the days it
    touched, today mostly, not the history. A day left with no activity is retired (pre-hook). A row whose
    created_at the app moved to another day would leave its old day's count; the app never moves it. -#}

-- depends_on: {{ ref('base_app__videos') }}
-- depends_on: {{ ref('base_app__messages') }}
-- depends_on: {{ ref('base_app__exports') }}
-- depends_on: {{ ref('base_app__scene_iterations') }}

{%- set days = days_landed_since_last_build([
    ref('base_app__videos'), ref('base_app__messages'), ref('base_app__exports'), ref('base_app__scene_iterations'),
]) %}

{{ config(
    materialized='incremental',
    unique_key='activity_date',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['activity_date', 'user_id'], 'unique': true}, {'columns': ['user_id']}],
    pre_hook="{{ retire_emptied_days('activity_date', days_landed_since_last_build([
        ref('base_app__videos'), ref('base_app__messages'), ref('base_app__exports'),
        ref('base_app__scene_iterations')]), [
        {'relation': ref('stg_app__videos'), 'at': 'created_at'},
        {'relation': ref('stg_app__messages'), 'at': 'created_at', 'where': \"role = 'user'\"},
        {'relation': ref('stg_app__exports'), 'at': 'created_at'},
        {'relation': ref('stg_app__scene_iterations'), 'at': 'created_at'}]) }}",
    post_hook="{{ landed_index('loaded_at') }}",
) }}

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
    {% if is_incremental() %}where {{ on_days('created_at', days) }}{% endif %}
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
    where role = 'user'{% if is_incremental() %} and {{ on_days('created_at', days) }}{% endif %}
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
    {% if is_incremental() %}where {{ on_days('created_at', days) }}{% endif %}
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
    {% if is_incremental() %}where {{ on_days('created_at', days) }}{% endif %}
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
    loaded_at,
    {{ build_stamp() }} as built_at
from daily
