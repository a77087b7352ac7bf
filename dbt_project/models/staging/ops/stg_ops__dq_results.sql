with

source as (

    select * from {{ source('ops', 'dq_results') }}

),

renamed as (

    select
        id as dq_result_id,
        suite,
        expectation,
        target_table,
        success as is_success,
        blocking as is_blocking,
        observed_value,
        unexpected_count,
        run_id,
        checked_at

    from source

)

select * from renamed
