with

source as (

    select * from {{ source('raw_app', 'template_usage') }}

),

renamed as (

    select
        id as template_usage_id,
        template_id,
        user_id,
        video_id,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where _deleted_in_source_at is null

)

select * from renamed
