with

source as (

    select * from {{ source('raw_app', 'creators') }}

),

renamed as (

    select
        id as creator_id,
        user_id,
        display_name,
        subscription_tier,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
