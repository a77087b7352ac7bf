{#- One row per video with its place in the creation pipeline of the Dashboard Proposal (draft → processing → completed
    or failed). The app keeps only the current status, so: a video reached processing when its status is processing,
    completed or failed; it finished at completed_at when completed and at updated_at (its last change, the failure)
    when failed; drafts and processing videos have not finished. -#}

with

videos as (

    select
        video_id,
        user_id,
        creator_id,
        template_id,
        content_type,
        status,
        credits_used,
        created_at,
        updated_at,
        completed_at
    from {{ ref('stg_app__videos') }}
    where created_at <= {{ reporting_time() }}

),

stages as (

    select
        video_id,
        user_id,
        creator_id,
        template_id,
        content_type,
        status,
        credits_used,
        created_at,
        status in ('processing', 'completed', 'failed') as reached_processing,
        case
            when status = 'completed' then completed_at
            when status = 'failed' then updated_at
        end as finished_at,
        case when status = 'completed' then completed_at end as completed_at
    from videos

)

select
    video_id,
    user_id,
    creator_id,
    template_id,
    content_type,
    status,
    credits_used,
    created_at,
    cast(created_at as date) as created_on,
    reached_processing,
    finished_at,
    cast(finished_at as date) as finished_on,
    completed_at,
    {{ dbt.datediff('created_at', 'completed_at', 'second') }} / 60.0 as minutes_to_complete  -- noqa: LT05
from stages
