with

source as (

    select * from {{ source('raw_app', 'changelog_entries') }}

),

renamed as (

    select
        id as changelog_entry_id,
        title,
        version as release_version,
        view_count,
        video_url,
        thumbnail_url,
        published_at,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
