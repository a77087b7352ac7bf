{#- A pre-hook of the incremental models that rebuild only the entities that changed: before a build, retire the
    current versions of entities gone from `entities` (a user or video deleted in the app), which such a build would
    otherwise leave: their `retired_at` becomes this build's stamp in the model's store table (macro versioned_store,
    macros/materializations/incremental.sql), so the build schema's view stops showing them at once and the live one
    when this build is published. A per-day model passes its `day_column`: every entity has a row on the newest day,
    so only that day is read. A model that knows which entities may have gone passes them as `among` (a query of
    `key`: the keys landed since its last build, deleted ones included, macro keys_landed_since_last_build), and
    only those are looked up in `entities` (by its index), not all it holds; `entities` may then be a list of
    reads, {'relation': ..., 'where': condition or none}, an entity staying while any of them has a row of it (a
    student with activity of any kind). Nothing on a full build: that one retires every current version that no
    rebuilt row repeats. -#}

{% macro retire_vanished_entities(key, entities, day_column=none, among=none) -%}
    {%- if is_incremental() -%}
        update {{ versioned_store(this) }}
        set retired_at = {{ build_stamp() }}
        where retired_at is null and {{ key }} in (
            {% if among -%}
                select candidates.{{ key }} from ({{ among }}) as candidates
                where true
                {%- for read in ([{'relation': entities}] if entities is string or entities.database is defined
                                 else entities) %}
                    and not exists (
                        select 1 from {{ read.relation }} as entities
                        where entities.{{ key }} = candidates.{{ key }}{% if read.where %} and entities.{{ read.where }}{% endif %}
                    )
                {%- endfor %}
            {%- else -%}
                select {{ key }} from {{ this }}
                {% if day_column -%}
                    where {{ day_column }} = (select max({{ day_column }}) from {{ this }})
                {%- endif %}
                except
                select {{ key }} from {{ entities }}
            {%- endif %}
        )
    {%- endif -%}
{%- endmacro %}

{#- A pre-hook of the incremental models keyed by day (macro days_landed_since_last_build): a day the build rebuilds
    retires its versions that no new row repeats, but a day left with no row at all (its only activity deleted) is
    not among the rebuilt keys: retire its versions here. `reads`: what makes a row of the day, each
    {'relation': ..., 'at': timestamp column, 'where': condition or none}; the day keeps its versions when any
    has a row on it. Each day is looked up once per read, by literal bounds (the read's index on `at`), not once
    per version of the day: an hour that touched 40 old days of 20,000 active users each asked 3.2M lookups
    (45 s at 20,000 users x 120 days, BENCHMARKS.md). -#}

{% macro retire_emptied_days(day_column, days, reads) -%}
    {%- if is_incremental() and days -%}
        update {{ versioned_store(this) }} as versions
        set retired_at = {{ build_stamp() }}
        where versions.retired_at is null and versions.{{ day_column }} in (
            {%- for day in days %}
                select cast('{{ day }}' as date) as emptied_day
                where true
                {%- for read in reads %}
                    and not exists (
                        select from {{ read.relation }} as rows_of_day
                        where {{ on_days('rows_of_day.' ~ read.at, [day]) }}
                            {% if read.where %}and rows_of_day.{{ read.where }}{% endif %}
                    )
                {%- endfor %}
                {% if not loop.last %}union all{% endif %}
            {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}
