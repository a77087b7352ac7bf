with

source as (

    select * from {{ source('ops', 'quarantine') }}

),

renamed as (

    select
        id as quarantine_id,
        load_id,
        source as source_name,
        table_name,
        primary_key,
        reason,
        quarantined_at

    from source

)

select * from renamed
