with

source as (

    select * from {{ source('raw_stripe', 'customers') }}

),

flagged as (

    -- Deleted in Stripe: the loader stamps _deleted_at (a customer.deleted event, or a retrieve answering
    -- deleted: true); an object carrying Stripe's own `deleted: true` counts too.
    select
        *,
        (
            _deleted_at is not null
            or coalesce(cast({{ json_text('data', ['deleted']) }} as boolean), false)
        ) as is_deleted
    from source

),

renamed as (

    select
        id as customer_id,
        created as created_at,
        is_deleted,
        _deleted_at as deleted_at,
        -- A deleted customer's PII goes no further than raw.
        case when not is_deleted then {{ json_text('data', ['email']) }} end as email,
        case when not is_deleted then {{ json_text('data', ['name']) }} end as customer_name,
        cast({{ json_text('data', ['metadata', 'user_id']) }} as bigint) as user_id,
        currency,
        cast({{ json_text('data', ['delinquent']) }} as boolean) as is_delinquent,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from flagged

)

select * from renamed
