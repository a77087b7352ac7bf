{#- A pre-hook of the per-entity, per-day incremental models: before a build, delete the rows of entities that are
    gone from `entities` (a user deleted in the app). Such a build only rewrites the entities that changed, so
    their rows would otherwise stay. Nothing on a full build: that one starts from the entities there are. -#}

{% macro delete_vanished_entities(key, entities) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key }} in (
            select {{ key }} from {{ this }}
            where date_day = (select max(date_day) from {{ this }})
            except
            select {{ key }} from {{ entities }}
        )
    {%- endif -%}
{%- endmacro %}
