with

source as (

    select * from {{ source('raw_app', 'users') }}

),

renamed as (

    select
        id as user_id,
        email,
        full_name,
        plan,
        role,
        country,
        signup_source,
        last_login_at,
        created_at,
        updated_at,
        _loaded_at as loaded_at

    from source
    where
        deleted_at is null
        and _deleted_in_source_at is null

)

select * from renamed
