{#- The week-over-week windows of the Admin Analytics Plan (1, 2 and 4 weeks): the current window is the N×7 whole
    days before the reporting date, the previous one the N×7 days before that. On a Monday the 1-week
    current window is exactly the last ISO week (Monday–Sunday). -#}

with

weeks as (

    select 1 as weeks
    union all
    select 2 as weeks
    union all
    select 4 as weeks

)

select
    weeks,
    'current' as period,
    cast({{ dbt.dateadd('day', '-7 * weeks', reporting_date()) }} as date) as window_start,
    {{ reporting_date() }} as window_end
from weeks

union all

select
    weeks,
    'previous' as period,
    cast({{ dbt.dateadd('day', '-14 * weeks', reporting_date()) }} as date) as window_start,
    cast({{ dbt.dateadd('day', '-7 * weeks', reporting_date()) }} as date) as window_end
from weeks
