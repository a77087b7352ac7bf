with

users as (

    select
        user_id,
        plan,
        role,
        country,
        signup_source,
        created_at,
        last_login_at
    from {{ ref('stg_app__users') }}

),

creators as (

    select
        user_id,
        creator_id
    from {{ ref('stg_app__creators') }}

),

final as (

    select
        users.user_id,
        users.plan,
        users.plan != 'free' as is_paid_plan,
        users.role,
        creators.creator_id,
        users.country,
        users.signup_source,
        users.created_at as signed_up_at,
        cast(users.created_at as date) as signup_date,
        cast({{ dbt.date_trunc('week', 'users.created_at') }} as date) as signup_week,
        users.last_login_at

    from users
    left join creators on users.user_id = creators.user_id

)

select
    user_id,
    plan,
    is_paid_plan,
    role,
    creator_id,
    country,
    signup_source,
    signed_up_at,
    signup_date,
    signup_week,
    last_login_at
from final
