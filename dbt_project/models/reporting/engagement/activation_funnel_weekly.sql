{{ config(indexes=[{'columns': ['signup_week']}]) }}

with

activation as (

    select
        signup_week,
        plan,
        first_prompt_at,
        first_scene_at,
        first_export_at,
        hours_prompt_to_first_scene
    from {{ ref('user_activation') }}

),

per_week as (

    select
        signup_week,
        plan,
        count(*) as signed_up,
        count(first_prompt_at) as sent_first_prompt,
        count(first_scene_at) as made_first_scene,
        count(first_export_at) as exported_first_video,
        {{ percentile('hours_prompt_to_first_scene', 0.5) }} as median_hours_to_first_scene
    from activation
    group by signup_week, plan

)

select
    signup_week,
    plan,
    signed_up,
    sent_first_prompt,
    made_first_scene,
    exported_first_video,
    sent_first_prompt * 1.0 / nullif(signed_up, 0) as prompt_rate,
    made_first_scene * 1.0 / nullif(sent_first_prompt, 0) as scene_rate,
    exported_first_video * 1.0 / nullif(made_first_scene, 0) as export_rate,
    exported_first_video * 1.0 / nullif(signed_up, 0) as activation_rate,
    median_hours_to_first_scene
from per_week
