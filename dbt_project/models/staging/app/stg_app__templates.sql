with

source as (

    select * from {{ source('raw_app', 'templates') }}

),

renamed as (

    select
        id as template_id,
        name,
        category,
        content_type,
        thumbnail_url,
        usage_count,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
