{#- One row per line of an invoice. Stripe embeds the lines in the invoice object (raw_stripe.invoices.data ->
    lines.data[]), so this model unnests them from the same source table as stg_stripe__invoices: a second staging
    model over one table, because a line is its own Stripe object (InvoiceLineItem, id il_...) with its own grain.
    A line's parent says where it came from: a subscription item (parent.subscription_item_details, with
    `proration` true for the credit and debit of a mid-period change) or a one-off invoice item. -#}

with

invoices as (

    select
        id as invoice_id,
        customer as customer_id,
        status as invoice_status,
        data,
        _loaded_at
    from {{ source('raw_stripe', 'invoices') }}

),

unnested as (

    select
        invoices.invoice_id,
        invoices.customer_id,
        invoices.invoice_status,
        invoices._loaded_at,
        line_elements.line,
        line_elements.line_position
    from invoices
    {{ json_array_elements_join('invoices.data', ['lines', 'data'], 'line') }}

),

lines as (

    select
        {{ json_text('line', ['id']) }} as invoice_line_id,
        invoice_id,
        customer_id,
        invoice_status,
        line_position,
        {{ json_text('line', ['parent', 'type']) }} as parent_type,
        coalesce(
            {{ json_text('line', ['parent', 'subscription_item_details', 'subscription']) }},
            {{ json_text('line', ['parent', 'invoice_item_details', 'subscription']) }}
        ) as subscription_id,
        {{ json_text('line', ['parent', 'subscription_item_details', 'subscription_item']) }} as subscription_item_id,
        coalesce(
            cast({{ json_text('line', ['parent', 'subscription_item_details', 'proration']) }} as boolean),
            cast({{ json_text('line', ['parent', 'invoice_item_details', 'proration']) }} as boolean),
            false
        ) as is_proration,
        {{ json_id('line', ['pricing', 'price_details', 'price']) }} as price_id,
        {{ json_text('line', ['pricing', 'price_details', 'product']) }} as product_id,
        cast({{ json_text('line', ['pricing', 'unit_amount_decimal']) }} as numeric) as unit_amount_cents,
        cast({{ json_text('line', ['quantity']) }} as bigint) as quantity,
        cast({{ json_text('line', ['amount']) }} as bigint) as amount_cents,
        cast({{ json_text('line', ['discountable']) }} as boolean) as is_discountable,
        cast({{ json_array_sum('line', ['discount_amounts'], 'amount') }} as bigint) as discount_cents,
        cast({{ json_array_sum('line', ['taxes'], 'amount') }} as bigint) as tax_cents,
        cast(
            {{ json_array_sum('line', ['taxes'], 'amount', where={'tax_behavior': 'inclusive'}) }} as bigint
        ) as inclusive_tax_cents,
        {{ epoch_to_timestamp(json_text('line', ['period', 'start'])) }} as period_start,
        {{ epoch_to_timestamp(json_text('line', ['period', 'end'])) }} as period_end,
        {{ json_text('line', ['currency']) }} as currency,
        cast({{ json_text('line', ['livemode']) }} as boolean) as is_livemode,
        _loaded_at as loaded_at

    from unnested

)

select * from lines
