{#- The credit ledger of the Dashboard Proposal ("Credit Transactions": date, type, amount, description, balance after),
    one row per ledger entry, with the balance recomputed as the running sum of the user's signed credits
    ordered by created_at, then id, and a flag where it differs from the balance the app recorded.
    Incremental: every entry of a user with an entry that landed within the lookback window is recomputed and
    merged, so a late entry also corrects the running balance of the user's later entries. The changed users come
    by raw's _loaded_at index, their entries by raw's user_id index (ingestion's READ_BY_MARTS; macro in_query). -#}

{{ config(
    materialized='incremental',
    unique_key='credit_transaction_id',
    incremental_strategy='merge',
    on_schema_change='append_new_columns',
    indexes=[
        {'columns': ['transaction_date']},
        {'columns': ['user_id']},
        {'columns': ['credit_transaction_id']},
        {'columns': ['built_at']},
    ],
    post_hook="{{ landed_index('loaded_at') }}",
) }}

with

{% if is_incremental() %}
    changed_users as (

        select distinct user_id
        from {{ ref('stg_app__credit_transactions') }}
        where loaded_at >= {{ incremental_lower_bound('loaded_at', since_last_build=true) }}

    ),
{% endif %}

credit_transactions as (

    select
        credit_transaction_id,
        user_id,
        transaction_type,
        credits,
        balance_after,
        description,
        plan,
        pack_id,
        amount_usd_cents,
        video_id,
        reference_transaction_id,
        created_at,
        updated_at,
        loaded_at
    from {{ ref('stg_app__credit_transactions') }}
    {% if is_incremental() %}
        where {{ in_query('user_id', 'select changed_users.user_id from changed_users') }}
    {% endif %}

),

running as (

    select
        credit_transaction_id,
        user_id,
        transaction_type,
        credits,
        balance_after,
        description,
        plan,
        pack_id,
        amount_usd_cents,
        video_id,
        reference_transaction_id,
        created_at,
        updated_at,
        loaded_at,
        sum(credits) over (
            partition by user_id
            order by created_at, credit_transaction_id
            rows between unbounded preceding and current row
        ) as running_balance
    from credit_transactions

)

select
    credit_transaction_id,
    user_id,
    created_at,
    cast(created_at as date) as transaction_date,
    transaction_type,
    credits,
    description,
    balance_after,
    running_balance,
    balance_after != running_balance as is_balance_mismatch,
    plan,
    pack_id,
    amount_usd_cents,
    video_id,
    reference_transaction_id,
    updated_at,
    loaded_at,
    {{ build_stamp() }} as built_at
from running
