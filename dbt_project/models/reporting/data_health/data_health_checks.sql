{{ config(materialized='view') }}

with

results as (

    select
        suite,
        expectation,
        target_table,
        is_success,
        is_blocking,
        observed_value,
        unexpected_count,
        run_id,
        checked_at,
        row_number() over (partition by suite, expectation order by checked_at desc, dq_result_id desc) as recency
    from {{ ref('stg_ops__dq_results') }}

)

select
    suite,
    expectation,
    target_table,
    is_success,
    is_blocking,
    case
        when is_success then 'passed'
        when is_blocking then 'failed (blocking)'
        else 'failed (warning)'
    end as outcome,
    observed_value,
    unexpected_count,
    run_id,
    checked_at
from results
where recency = 1
