{#- A pre-hook of the incremental models that rebuild only the entities that changed: before a build, delete the
    rows of entities that are gone from `entities` (a user or video deleted in the app), which such a build would
    otherwise leave. A per-day model passes its `day_column`: every entity has a row on the newest day, so only
    that day is read. Nothing on a full build: that one starts from the entities there are. -#}

{% macro delete_vanished_entities(key, entities, day_column=none) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ key }} in (
            select {{ key }} from {{ this }}
            {% if day_column -%}
                where {{ day_column }} = (select max({{ day_column }}) from {{ this }})
            {%- endif %}
            except
            select {{ key }} from {{ entities }}
        )
    {%- endif -%}
{%- endmacro %}
