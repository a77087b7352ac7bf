{#- GENERATED from semantic/metrics.yml by `python -m semantic.metrics`: do not edit by hand.
    The metrics with a wow_metric (name here), as marts.wow_deltas computes them (macro wow_metric_value);
    tests/semantic/test_metrics.py fails while this file does not match metrics.yml. -#}

{% macro semantic_wow_metrics() %}
    {%- set definitions -%}
{%- raw %}
- name: active_users
  label: Weekly active users
  model: active_users_daily
  time_column: date_day
  sql: (array_agg(wau order by date_day desc))[1]
- name: videos_created
  label: Videos created
  model: content_daily_kpis
  time_column: date_day
  sql: sum(videos_created)
- name: export_success_rate
  label: Export success rate
  model: export_funnel_daily
  time_column: date_day
  sql: sum(exports_completed) * 1.0 / nullif(sum(exports_total), 0)
- name: credit_pack_buyers
  label: Credit-pack buyers
  model: fct_credit_transactions
  time_column: transaction_date
  sql: count(distinct case when transaction_type = 'purchase' then user_id end)
- name: net_revenue_usd
  label: Net revenue
  model: revenue_daily
  time_column: date_day
  sql: sum(net_revenue_usd)
- name: gross_margin_usd
  label: Gross margin
  model: unit_economics_daily
  time_column: date_day
  sql: sum(gross_margin_usd)
{% endraw -%}
    {%- endset -%}
    {{ return(fromyaml(definitions)) }}
{% endmacro %}
