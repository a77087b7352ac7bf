{#- The Admin Analytics Plan's asset stats by upload day (UTC) and asset type: uploads, reuse and size buckets. -#}

{{ config(indexes=[{'columns': ['date_day']}, {'columns': ['asset_type']}]) }}

with

days as (

    select date_day
    from {{ ref('dim_dates') }}

),

assets as (

    select
        upload_date,
        asset_type,
        file_size_bytes,
        size_bucket,
        is_reuse,
        is_reused
    from {{ ref('int_uploaded_assets') }}

),

per_day as (

    select
        upload_date,
        asset_type,
        count(*) as uploads,
        count(case when is_reuse then 1 end) as uploads_reusing_earlier_asset,
        count(case when is_reused then 1 end) as uploads_reused,
        cast(sum(file_size_bytes) as bigint) as total_bytes,
        count(case when size_bucket = '<1MB' then 1 end) as uploads_under_1mb,
        count(case when size_bucket = '1-10MB' then 1 end) as uploads_1_to_10mb,
        count(case when size_bucket = '10-100MB' then 1 end) as uploads_10_to_100mb,
        count(case when size_bucket = '>=100MB' then 1 end) as uploads_100mb_and_over,
        count(case when size_bucket = 'unknown' then 1 end) as uploads_unknown_size
    from assets
    group by upload_date, asset_type

)

select
    days.date_day,
    per_day.asset_type,
    per_day.uploads,
    per_day.uploads_reusing_earlier_asset,
    per_day.uploads_reused,
    per_day.uploads_reused * 1.0 / nullif(per_day.uploads, 0) as reuse_rate,
    coalesce(per_day.total_bytes, 0) as total_bytes,
    per_day.uploads_under_1mb,
    per_day.uploads_1_to_10mb,
    per_day.uploads_10_to_100mb,
    per_day.uploads_100mb_and_over,
    per_day.uploads_unknown_size
from days
inner join per_day on days.date_day = per_day.upload_date
