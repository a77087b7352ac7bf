{#- One row per discount applied to a Stripe subscription, with its coupon: what the subscription's `discounts` ids
    stand for (subscription -> discount -> coupon: discount.source.coupon since 2025-09-30). A discount taken off keeps
    its row with removed_at; a discount from a promotion code has its coupon too (a promotion code applies one). -#}

with

discounts as (

    select
        discount_id,
        subscription_id,
        customer_id,
        coupon_id,
        promotion_code_id,
        started_at,
        ends_at,
        deleted_at
    from {{ ref('stg_stripe__discounts') }}
    where subscription_id is not null

),

coupons as (

    select
        coupon_id,
        coupon_name,
        percent_off,
        amount_off_cents,
        currency,
        duration,
        duration_in_months
    from {{ ref('stg_stripe__coupons') }}

)

select
    discounts.discount_id,
    discounts.subscription_id,
    discounts.customer_id,
    discounts.coupon_id,
    discounts.promotion_code_id,
    coupons.coupon_name,
    coupons.percent_off,
    coupons.amount_off_cents,
    coupons.currency as amount_off_currency,
    coupons.duration,
    coupons.duration_in_months,
    discounts.started_at,
    discounts.ends_at,
    discounts.deleted_at as removed_at
from discounts
left join coupons on discounts.coupon_id = coupons.coupon_id
