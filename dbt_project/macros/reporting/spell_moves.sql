{#- The moves a set of engagement spells makes on the tier counts (engagement_tier_daily): +1 on the day a spell
    starts and -1 on the day it ends (times `sign_column`, when given), for the moves on days up to `through` and
    after `after` (when given); a move before the calendar counts on its first day. `spells` names a relation or
    CTE with population, creator_id, engagement_tier, valid_from and valid_to; the model's `bounds` CTE holds the
    calendar's first day. `sign_column` is a column of `spells` holding +1 or -1 (a version written since the last
    build, one retired). -#}

{% macro spell_moves(spells, through, after=none, sign_column=none) -%}
    {%- set sign = 'spells.' ~ sign_column if sign_column else '1' -%}
    {%- for day_column, entered in [('valid_from', sign), ('valid_to', '-1 * ' ~ sign if sign_column else '-1')] %}
        select
            spells.population,
            spells.creator_id,
            spells.engagement_tier,
            greatest(spells.{{ day_column }}, bounds.first_day) as date_day,
            {{ entered }} as entered
        from {{ spells }} as spells
        cross join bounds
        where
            spells.{{ day_column }} <= {{ through }}
            {%- if after %}
                and spells.{{ day_column }} > {{ after }}
            {%- endif %}
        {%- if not loop.last %}

        union all
        {% endif -%}
    {%- endfor %}
{%- endmacro %}
