{#- The Dashboard Proposal's "Credits expiration date" (user_credits.expires_at): the credits users hold now, by the UTC
    day they expire and the user's current plan. A user's whole available balance expires at their expires_at (the app
    keeps one expiry date per user); users with no credits left or no expiry date, and users deleted in the app, are
    left out. days_until_expiry = expires_on − the reporting date. expiring_credits are those whose expires_at is still
    ahead of the reporting time; overdue_credits have passed it and are still in the balance (the app has not yet
    written them off with an 'expiration' ledger entry). A snapshot: it is rebuilt from the current balances on every
    build; credits already written off are credits_daily's credits_expired. -#}

{{ config(indexes=[{'columns': ['expires_on', 'plan'], 'unique': true}]) }}

with

balances as (

    select
        user_id,
        available_credits,
        expires_at
    from {{ ref('stg_app__user_credits') }}
    where
        available_credits > 0
        and expires_at is not null

),

users as (

    select
        user_id,
        plan
    from {{ ref('stg_app__users') }}

),

holdings as (

    select
        balances.user_id,
        users.plan,
        balances.available_credits,
        cast(balances.expires_at as date) as expires_on,
        balances.expires_at < {{ reporting_time() }} as is_overdue
    from balances
    inner join users on balances.user_id = users.user_id

)

select
    expires_on,
    cast({{ dbt.date_trunc('week', 'expires_on') }} as date) as expiry_week_start,
    {{ dbt.datediff(reporting_date(), 'expires_on', 'day') }} as days_until_expiry,  -- noqa: LT05
    plan,
    count(*) as holders,
    sum(available_credits) as credits,
    sum(case when is_overdue then 0 else available_credits end) as expiring_credits,
    sum(case when is_overdue then available_credits else 0 end) as overdue_credits,
    count(case when is_overdue then 1 end) as overdue_holders
from holdings
group by expires_on, plan
