{#- The videos of creators' courses (creator_id set), the ones students watch, ask about and are quizzed on; a
    user's own editor videos have no creator. Videos deleted in the app are not here (staging drops them).
    Indexed on video_id and loaded_at: video_retention_curve's incremental run reads the videos landed since its last
    build and joins the views of the changed videos to them. -#}

{{ config(indexes=[{'columns': ['video_id']}, {'columns': ['loaded_at']}]) }}

with

videos as (

    select
        video_id,
        creator_id,
        title,
        duration_seconds,
        created_at,
        loaded_at
    from {{ ref('stg_app__videos') }}
    where creator_id is not null

)

select
    video_id,
    creator_id,
    title,
    duration_seconds,
    created_at,
    loaded_at
from videos
