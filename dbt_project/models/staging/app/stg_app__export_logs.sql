{#- The Creator Dashboard doc's export_logs. Unlike the other app tables, rows deleted in the app are kept: the app's
    only delete is its nightly cron removing logs older than 30 days (the Creator Dashboard doc's "Cleanup old
    exports"), a retention rule of the app database, not a correction; the warehouse keeps the audit history. purged_at
    says when a row was found gone. -#}

with

source as (

    select * from {{ source('raw_app', 'export_logs') }}

),

renamed as (

    select
        id as export_log_id,
        creator_id,
        export_type,
        format as export_format,
        file_size_bytes,
        filters,
        status,
        error_message,
        created_at,
        completed_at,
        updated_at,
        _deleted_in_source_at as purged_at,
        _loaded_at as loaded_at

    from source

)

select * from renamed
