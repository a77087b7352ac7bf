{#- Coupons (stripe.Coupon, GET /v1/coupons): what a discount takes off, a percentage or an amount, and for how
    long. A deleted coupon keeps its row (is_deleted): discounts made from it go on applying. times_redeemed is
    left out: Stripe changes it without an event, so raw has it only as of the coupon's last listing. -#}

with

source as (

    select * from {{ source('raw_stripe', 'coupons') }}

),

renamed as (

    select
        id as coupon_id,
        created as created_at,
        {{ json_text('data', ['name']) }} as coupon_name,
        cast({{ json_text('data', ['percent_off']) }} as numeric) as percent_off,
        cast({{ json_text('data', ['amount_off']) }} as bigint) as amount_off_cents,
        currency,
        {{ json_text('data', ['duration']) }} as duration,
        cast({{ json_text('data', ['duration_in_months']) }} as integer) as duration_in_months,
        cast({{ json_text('data', ['max_redemptions']) }} as bigint) as max_redemptions,
        {{ epoch_to_timestamp(json_text('data', ['redeem_by'])) }} as redeem_by,
        cast({{ json_text('data', ['valid']) }} as boolean) as is_valid,
        _deleted_at is not null as is_deleted,
        _deleted_at as deleted_at,
        livemode as is_livemode,
        _stripe_updated_at as stripe_updated_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
