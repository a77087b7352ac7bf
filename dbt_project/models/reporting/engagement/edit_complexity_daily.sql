{#- The Admin Analytics Plan's "edit complexity mix (structural/creative/surgical)": scene edits (scene_iterations) per
    UTC day and edit type, every calendar day times every edit type the app has recorded (zero when none). The mix of a
    period is each type's share of sum(iterations) over it. Edits of scenes deleted since still count: the edit was
    made. -#}

{{ config(indexes=[{'columns': ['date_day', 'edit_type'], 'unique': true}]) }}

with

days as (

    select
        date_day,
        week_start
    from {{ ref('dim_dates') }}

),

iterations as (

    select
        user_id,
        edit_type,
        is_succeeded,
        cast(created_at as date) as edited_on
    from {{ ref('stg_app__scene_iterations') }}

),

edit_types as (

    select distinct edit_type
    from iterations

),

per_day as (

    select
        edited_on,
        edit_type,
        count(*) as iterations,
        count(case when is_succeeded then 1 end) as successful_iterations,
        count(distinct user_id) as editing_users
    from iterations
    group by edited_on, edit_type

),

day_totals as (

    select
        edited_on,
        count(*) as iterations
    from iterations
    group by edited_on

)

select
    days.date_day,
    days.week_start,
    edit_types.edit_type,
    coalesce(per_day.iterations, 0) as iterations,
    coalesce(per_day.successful_iterations, 0) as successful_iterations,
    coalesce(per_day.editing_users, 0) as editing_users,
    per_day.successful_iterations * 1.0 / nullif(per_day.iterations, 0) as iteration_success_rate,
    coalesce(per_day.iterations, 0) * 1.0 / nullif(day_totals.iterations, 0) as share_of_day
from days
cross join edit_types
left join per_day
    on
        days.date_day = per_day.edited_on
        and edit_types.edit_type = per_day.edit_type
left join day_totals on days.date_day = day_totals.edited_on
