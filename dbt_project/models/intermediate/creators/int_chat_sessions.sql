{#- One row per creator and AI chat session: when its first and last messages were sent, how many messages it
    holds and how long it lasted (first to last message, in minutes; a one-message session lasts 0). -#}

with

sessions as (

    select
        creator_id,
        session_id,
        min(created_at) as started_at,
        max(created_at) as ended_at,
        count(*) as messages
    from {{ ref('stg_app__chat_messages') }}
    group by creator_id, session_id

)

select
    creator_id,
    session_id,
    started_at,
    ended_at,
    messages,
    {{ dbt.datediff('started_at', 'ended_at', 'second') }} / 60.0 as session_minutes  -- noqa: LT05
from sessions
