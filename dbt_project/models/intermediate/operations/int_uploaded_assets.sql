{#- One row per uploaded asset in project memory (memory_type 'uploaded_asset', the Admin Analytics Plan's asset stats),
    with its size bucket and how often later uploads reused it (rows whose source_asset_id points at it).
    Size buckets use binary megabytes (1 MB = 1,048,576 bytes): <1MB, 1-10MB, 10-100MB, >=100MB. -#}

with

uploads as (

    select
        memory_id,
        user_id,
        video_id,
        coalesce(asset_type, 'unknown') as asset_type,
        file_size_bytes,
        source_asset_id,
        created_at
    from {{ ref('stg_app__project_memory') }}
    where
        memory_type = 'uploaded_asset'
        and created_at <= {{ reporting_time() }}

),

reuses as (

    select
        source_asset_id as memory_id,
        count(*) as times_reused,
        min(created_at) as first_reused_at
    from uploads
    where source_asset_id is not null
    group by source_asset_id

)

select
    uploads.memory_id,
    uploads.user_id,
    uploads.video_id,
    uploads.asset_type,
    uploads.file_size_bytes,
    case
        when uploads.file_size_bytes is null then 'unknown'
        when uploads.file_size_bytes < 1048576 then '<1MB'
        when uploads.file_size_bytes < 10485760 then '1-10MB'
        when uploads.file_size_bytes < 104857600 then '10-100MB'
        else '>=100MB'
    end as size_bucket,
    uploads.source_asset_id,
    uploads.source_asset_id is not null as is_reuse,
    coalesce(reuses.times_reused, 0) as times_reused,
    reuses.memory_id is not null as is_reused,
    reuses.first_reused_at,
    uploads.created_at,
    cast(uploads.created_at as date) as upload_date
from uploads
left join reuses on uploads.memory_id = reuses.memory_id
