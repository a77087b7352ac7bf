{#- The Dashboard Proposal's "Success rate by template type": videos started per UTC day (the video's created_at) by the
    type of template they were made from — the template's category, and its content_type for the other reading of "type"
    — with their outcome now. success_rate = completed ÷ finished (completed or failed): a draft never went to
    generation and a processing video has no outcome yet, so neither says whether the template works. Videos made
    without a template form the '(no template)' baseline; videos whose template was deleted since are '(deleted
    template)'. Only days and types with videos have rows. -#}

{{ config(indexes=[{'columns': ['date_day']}]) }}

with

videos as (

    select
        template_id,
        status,
        created_on
    from {{ ref('int_video_pipeline_stages') }}

),

templates as (

    select
        template_id,
        category,
        content_type
    from {{ ref('stg_app__templates') }}

),

typed as (

    select
        videos.created_on,
        videos.status,
        case
            when videos.template_id is null then '(no template)'
            when templates.template_id is null then '(deleted template)'
            else templates.category
        end as template_category,
        case
            when videos.template_id is null then '(no template)'
            when templates.template_id is null then '(deleted template)'
            else templates.content_type
        end as template_content_type
    from videos
    left join templates on videos.template_id = templates.template_id

)

select
    created_on as date_day,
    cast({{ dbt.date_trunc('week', 'created_on') }} as date) as week_start,
    template_category,
    template_content_type,
    template_category not in ('(no template)', '(deleted template)') as has_template,
    count(*) as videos_started,
    count(case when status in ('completed', 'failed') then 1 end) as videos_finished,
    count(case when status = 'completed' then 1 end) as videos_completed,
    count(case when status = 'failed' then 1 end) as videos_failed,
    count(case when status in ('draft', 'processing') then 1 end) as videos_unfinished,
    count(case when status = 'completed' then 1 end) * 1.0
    / nullif(count(case when status in ('completed', 'failed') then 1 end), 0) as success_rate,
    count(case when status = 'completed' then 1 end) * 1.0 / count(*) as completion_rate
from typed
group by created_on, template_category, template_content_type
