"""Issue 23 before any Superset runs: every number has one format (metrics.yml), the boards' d3 formats and the
email's text agree, every column a table shows has a label, and "now" splits periods into complete ones and the
current one the way the cards' titles say."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from semantic.formats import Format, column_label, load_columns
from semantic.metrics import format_value, load_metrics
from semantic.superset.assets import METRIC_ROW_VALUES, _sql_shown, load_dashboards
from semantic.superset.charts import KPI_PERIODS, Clock, build_chart

MID_WEEK = Clock(date(2026, 11, 18), first_day=date(2026, 6, 3))  # a Wednesday; "now" is some hour of it


def _shown_columns(chart) -> list[str]:
    return list(chart.columns) if chart.viz == "table" else list(chart.groupby) if chart.viz == "summary_table" else []


def test_every_column_a_table_shows_has_a_label_and_a_format_in_metrics_yml():
    missing = [f"{chart.key}: {column}" for spec in load_dashboards() for chart in spec.charts
               for column in _shown_columns(chart) if column_label(chart.dataset, column) is None]
    assert missing == [], f"add these to the columns: section of semantic/metrics.yml: {missing}"


def test_every_metric_and_column_format_is_declared_and_valid():
    assert all(metric.number_format.d3 for metric in load_metrics().values())
    assert len(load_columns()) > 30
    with pytest.raises(ValueError, match="not one of"):
        Format("fraction")
    with pytest.raises(ValueError, match="do not apply"):
        Format("date", 2)


@pytest.mark.parametrize(("value", "number_format", "d3", "text"), [
    (1234.5, Format("usd"), "$,.2f", "$1,234.50"),
    (-3, Format("usd"), "$,.2f", "-$3.00"),
    (0.9234, Format("percent"), ".1%", "92.3%"),
    (1234, Format("integer"), ",d", "1,234"),
    (55.666666666666664, Format("number"), ",.1f", "55.7"),
    (4.3858267716535435, Format("number", 2), ",.2f", "4.39"),
    (0.1006, Format("duration"), ",.1f", "0.1"),
    (12345, Format("id"), "d", "12345"),
])
def test_the_board_and_the_email_write_a_number_alike(value, number_format, d3, text):
    assert number_format.d3 == d3
    assert number_format.render(value) == text


def test_dates_are_days_and_timestamps_minutes():
    assert Format("date").d3_time == "%Y-%m-%d"
    assert Format("date").render(date(2026, 9, 5)) == "2026-09-05"
    assert Format("timestamp").d3_time == "%Y-%m-%d %H:%M"
    assert format_value(None, "integer") == "n/a"


def test_the_week_over_week_text_columns_are_written_as_the_email_writes_them(warehouse):
    """The SQL the dataset's *_shown columns run gives, on PostgreSQL, exactly Format.render's text."""
    from reelhouse.warehouse import admin_url, connect

    cases = [(Decimal("920"), Format("usd"), False), (Decimal("-12.5"), Format("usd"), True),
             (Decimal("0.9281767955801105"), Format("percent"), False), (Decimal("540"), Format("integer"), False),
             (Decimal("40"), Format("integer"), True), (Decimal("-0.0123"), Format("percent"), True),
             (Decimal("1234567.891"), Format("usd"), False)]
    with connect(admin_url("reelhouse")) as conn:
        for value, number_format, signed in cases:
            sql = f"SELECT {_sql_shown('x', number_format, signed)} FROM (SELECT {value}::numeric AS x) AS v"
            shown = conn.execute(sql).fetchone()[0]
            expected = number_format.render(value)
            if signed:  # a change: signed, and a percent's change in percentage points
                expected = ("+" if value > 0 else "") + expected
                expected = expected.replace("%", " pp") if number_format.kind == "percent" else expected
            assert shown == expected, (value, number_format)
    assert set(METRIC_ROW_VALUES["wow_deltas"]) == {"current_value", "previous_value", "absolute_change"}


def test_complete_periods_when_now_is_mid_week_and_mid_day():
    assert MID_WEEK.complete_end("day") == date(2026, 11, 18)      # the last full day is Tuesday the 17th
    assert MID_WEEK.complete_end("week") == date(2026, 11, 16)     # the last full week ended Sunday the 15th
    assert MID_WEEK.complete_end("month") == date(2026, 11, 1)
    assert MID_WEEK.periods_back("week", 8) == date(2026, 9, 21)
    assert MID_WEEK.periods_back("month", 12) == date(2025, 11, 1)
    assert MID_WEEK.window_start == date(2026, 8, 17)               # 13 whole weeks, a Monday
    assert MID_WEEK.time_range == "2026-08-17 : "
    young = Clock(date(2026, 11, 18), first_day=date(2026, 10, 7))
    assert young.window_start == date(2026, 10, 5)                  # not before the first week with data


def _chart(key: str):
    return next(chart for spec in load_dashboards() for chart in spec.charts if chart.key == key)


def test_a_weekly_kpi_card_reads_only_complete_weeks():
    params, context = build_chart(_chart("overview_videos_created"), load_metrics(), clock=MID_WEEK)
    where = context["queries"][0]["extras"]["where"]
    assert "date_day >= '2026-09-21'" in where and "date_day < '2026-11-16'" in where
    assert params["time_grain_sqla"] == "P1W" and params["compare_lag"] == 1
    assert KPI_PERIODS["week"] == 8


def test_a_daily_kpi_card_ends_with_the_last_full_day():
    _, context = build_chart(_chart("engagement_dau"), load_metrics(), clock=MID_WEEK)
    assert "date_day < '2026-11-18'" in context["queries"][0]["extras"]["where"]


def test_a_time_series_ends_before_the_current_period_and_opens_on_the_board_window():
    params, context = build_chart(_chart("monetization_paywall_funnel"), load_metrics(), clock=MID_WEEK,
                                  time_range=MID_WEEK.time_range)
    query = context["queries"][0]
    assert "date_day < '2026-11-16'" in query["extras"]["where"]   # weekly: no bar for the week still running
    assert query["time_range"] == params["time_range"] == "2026-08-17 : "
    assert {"col": "date_day", "op": "TEMPORAL_RANGE", "val": "No filter"} in query["filters"]
    _, daily = build_chart(_chart("overview_prompts"), load_metrics(), clock=MID_WEEK, time_range=MID_WEEK.time_range)
    assert "date_day < '2026-11-18'" in daily["queries"][0]["extras"]["where"]


def test_table_columns_take_their_formats_from_metrics_yml():
    params, _ = build_chart(_chart("creator_at_risk"), load_metrics(), clock=MID_WEEK)
    config = params["column_config"]
    assert config["last_active_date"] == {"d3TimeFormat": "%Y-%m-%d"}
    assert config["avg_completion"] == {"d3NumberFormat": ",.1f"}    # a 0-100 value, never a percent of it
    assert config["student_id"]["d3NumberFormat"] == "d"
    quizzes, _ = build_chart(_chart("creator_quizzes"), load_metrics(), clock=MID_WEEK)
    assert quizzes["column_config"]["pass_rate"] == {"d3NumberFormat": ".1%"}
    assert quizzes["column_config"]["avg_score"] == {"d3NumberFormat": ",.1f"}


def test_the_email_writes_every_number_through_metrics_yml():
    """No template picks a format by hand: a metric goes through metric.render, a mart column through
    `shown('mart.column')`, whose entry must exist; there is no usd/percent/integer filter to reach for."""
    import re

    from semantic.report.render import TEMPLATES, _environment

    environment = _environment()
    assert not {"usd", "percent", "integer"} & set(environment.filters)
    for path in sorted(TEMPLATES.glob("*.j2")):
        environment.get_template(path.name)  # a filter that does not exist fails to compile here
        for column in re.findall(r"shown\('([^']+)'\)", path.read_text()):
            mart, _, name = column.rpartition(".")
            assert column_label(mart, name) is not None, (path.name, column)
