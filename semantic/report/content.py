"""What the weekly emails say, read from the marts (and the data-quality results), as plain data.

Every number comes from a mart query here; rendering only formats it. The reporting week is the
1-week window of marts.wow_deltas: the 7 whole days before the reporting date (on a Monday, last
Monday to Sunday). Every metric figure is a semantic/metrics.yml metric (its label, its SQL over its
mart): the week-over-week values from marts.wow_deltas, which dbt computes by that same SQL, the rest
by metric_value here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import yaml
from psycopg.rows import dict_row

from expectations.load_health import source_freshness
from semantic.metrics import Metric, load_metrics, metric_value

SPARKLINE_WEEKS = 8
# The revenue section: (metric, period) — "day" is the week's last day, "week" the whole reporting week.
REVENUE_FIGURES = (("mrr_usd", "day"), ("paying_subscribers", "day"), ("new_mrr_usd", "week"),
                   ("expansion_mrr_usd", "week"), ("reactivation_mrr_usd", "week"), ("contraction_mrr_usd", "week"),
                   ("churned_mrr_usd", "week"))
EXPOSURES_FILE = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "_exposures.yml"


@dataclass(frozen=True)
class Kpi:
    metric: Metric
    current: Decimal | None
    previous: Decimal | None
    change: Decimal | None
    pct_change: Decimal | None
    sparkline: list[Decimal | None]

    @property
    def direction(self) -> str:
        """up, down or flat — the arrow; whether that is good depends on metric.higher_is_better."""
        if self.change is None or self.change == 0:
            return "flat"
        return "up" if self.change > 0 else "down"

    @property
    def is_good(self) -> bool | None:
        if self.direction == "flat":
            return None
        return (self.direction == "up") == self.metric.higher_is_better


@dataclass(frozen=True)
class Figure:
    """One metric over a stated period (`period` as the email words it: "on 15 Nov", "this week")."""
    metric: Metric
    period: str
    value: Decimal | None


@dataclass(frozen=True)
class DataHealth:
    failed_checks: list[dict]
    sources: list[str]
    stale_sources: list[str]

    @property
    def healthy(self) -> bool:
        return not self.failed_checks and not self.stale_sources


@dataclass(frozen=True)
class PlatformReport:
    week_start: date
    week_end: date  # inclusive, the last day of the week
    kpis: list[Kpi]
    revenue: list[Figure]
    top_templates: list[dict]
    tiers: list[dict]
    at_risk_users: int
    health: DataHealth
    dashboards: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class CreatorReport:
    creator_id: int
    week_start: date
    week_end: date
    overview: dict
    active_students_sparkline: list[Decimal | None]
    at_risk_students: list[dict]
    struggling_quizzes: list[dict]
    top_questions: list[dict]
    health: DataHealth
    dashboards: list[tuple[str, str]] = field(default_factory=list)
    # The Creator Dashboard doc's chat volume (metric chat_questions) this week and the week before, and the peak hour
    # (UTC)
    chat: dict = field(default_factory=dict)
    difficult_questions: list[dict] = field(default_factory=list)  # the Creator Dashboard doc's "Question Analysis"


def reporting_week(conn: psycopg.Connection) -> tuple[date, date]:
    """[start, end) of the current 1-week window, as marts.wow_deltas computed it."""
    row = conn.execute("SELECT min(current_start), min(current_end) FROM marts.wow_deltas WHERE weeks = 1").fetchone()
    if row is None or row[0] is None:
        raise LookupError("marts.wow_deltas is empty: build the marts before the report")
    return row[0], row[1]


def weekly_series(conn: psycopg.Connection, metric: Metric, end: date, weeks: int = SPARKLINE_WEEKS) -> list:
    """The metric over each of the `weeks` 7-day windows ending at `end` (oldest first), by its own SQL.

    Windows line up with the week-over-week windows, so the last value is the week's current value.
    """
    rows = conn.execute(
        f"SELECT ((%(end)s::date - 1 - {metric.time_column}::date) / 7) AS weeks_back, {metric.sql} AS value"  # noqa: S608
        f" FROM {metric.table}"
        f" WHERE {metric.time_column} >= %(start)s AND {metric.time_column} < %(end)s GROUP BY 1",
        {"start": end - timedelta(days=7 * weeks), "end": end},
    ).fetchall()
    by_week = {int(weeks_back): value for weeks_back, value in rows}
    return [by_week.get(index) for index in range(weeks - 1, -1, -1)]


def dashboards(superset_url: str) -> list[tuple[str, str]]:
    """(label, url) of every Superset dashboard declared as a dbt exposure, on the configured Superset."""
    exposures = (yaml.safe_load(EXPOSURES_FILE.read_text()) or {}).get("exposures") or []
    links = []
    for exposure in exposures:
        if exposure.get("type") == "dashboard" and exposure.get("url"):
            path = "/" + exposure["url"].split("://", 1)[-1].split("/", 1)[-1]
            links.append((exposure.get("label") or exposure["name"], superset_url + path))
    return links


def data_health(conn: psycopg.Connection) -> DataHealth:
    """Failed checks (latest outcome of each expectation in the last 7 days) and stale sources: always stated."""
    with conn.cursor(row_factory=dict_row) as cursor:
        failed = cursor.execute(
            """
            SELECT suite, expectation, blocking, observed_value, checked_at FROM (
                SELECT DISTINCT ON (suite, expectation) suite, expectation, success, blocking, observed_value,
                       checked_at
                FROM ops.dq_results WHERE checked_at > now() - interval '7 days'
                ORDER BY suite, expectation, checked_at DESC) AS latest
            WHERE NOT success ORDER BY blocking DESC, suite, expectation
            """
        ).fetchall()
    sources, stale = [], []
    for source in ("app", "stripe"):
        freshness = source_freshness(conn, source)
        sources.append(freshness.description)
        if freshness.status != "fresh":
            stale.append(freshness.description)
    return DataHealth(failed, sources, stale)


def build_platform_report(conn: psycopg.Connection, superset_url: str) -> PlatformReport:
    start, end = reporting_week(conn)
    metrics = load_metrics()
    with conn.cursor(row_factory=dict_row) as cursor:
        deltas = {row["metric"]: row for row in cursor.execute(
            "SELECT metric, current_value, previous_value, absolute_change, pct_change"
            " FROM marts.wow_deltas WHERE weeks = 1").fetchall()}
        templates = cursor.execute(
            "SELECT usage_rank, template_name, usage_count, unique_users, export_success_rate, rank_change"
            " FROM marts.template_leaderboard WHERE timeframe = '7d'"
            " ORDER BY usage_rank, template_name LIMIT 10").fetchall()
        tiers = cursor.execute(
            "SELECT engagement_tier, entities FROM marts.engagement_tier_daily"
            " WHERE population = 'user' AND date_day = %s ORDER BY entities DESC",
            (end - timedelta(days=1),)).fetchall()
    last = end - timedelta(days=1)
    revenue = [Figure(metrics[name], f"on {last:%d %b}", metric_value(conn, metrics[name], last, end))
               if period == "day" else Figure(metrics[name], "this week", metric_value(conn, metrics[name], start, end))
               for name, period in REVENUE_FIGURES]
    kpis = []
    for metric in metrics.values():
        if metric.wow_metric not in deltas:
            continue
        row = deltas[metric.wow_metric]
        kpis.append(Kpi(metric, row["current_value"], row["previous_value"], row["absolute_change"],
                        row["pct_change"], weekly_series(conn, metric, end)))
    at_risk = next((row["entities"] for row in tiers if row["engagement_tier"] == "at_risk"), 0)
    return PlatformReport(start, end - timedelta(days=1), kpis, revenue, templates, tiers, at_risk,
                          data_health(conn), dashboards(superset_url))


def build_creator_report(conn: psycopg.Connection, creator_id: int, superset_url: str) -> CreatorReport:
    """The report about one creator's students: every query is filtered on that creator_id."""
    start, end = reporting_week(conn)
    params = {"creator": creator_id, "start": end - timedelta(days=7 * SPARKLINE_WEEKS), "end": end}
    with conn.cursor(row_factory=dict_row) as cursor:
        overview = cursor.execute(
            "SELECT creator_id, students_total, students_active_7d, students_active_30d, students_at_risk,"
            " completion_rate, quiz_pass_rate, ai_satisfaction_rate, questions_asked"
            " FROM marts.creator_overview WHERE creator_id = %(creator)s", params).fetchone()
        if overview is None:
            raise LookupError(f"creator {creator_id} is not in marts.creator_overview")
        weekly_active = cursor.execute(
            "SELECT ((%(end)s::date - 1 - date_day) / 7) AS weeks_back, avg(active_students) AS value"
            " FROM marts.creator_daily_active_students"
            " WHERE creator_id = %(creator)s AND date_day >= %(start)s AND date_day < %(end)s GROUP BY 1",
            params).fetchall()
        at_risk = cursor.execute(
            "SELECT student_id, engagement_tier, days_inactive, videos_to_date, last_video_id"
            " FROM marts.creator_at_risk_students WHERE creator_id = %(creator)s"
            " ORDER BY days_inactive DESC, student_id LIMIT 10", params).fetchall()
        quizzes = cursor.execute(
            "SELECT quiz_id, title, attempts, pass_rate FROM marts.quiz_performance"
            " WHERE creator_id = %(creator)s AND is_struggling ORDER BY pass_rate, quiz_id LIMIT 5", params).fetchall()
        questions = cursor.execute(
            "SELECT question, ask_count, unique_askers FROM marts.most_asked_questions"
            " WHERE creator_id = %(creator)s ORDER BY ask_count DESC, question LIMIT 5", params).fetchall()
        chat = creator_chat(cursor, creator_id, start, end)
        difficult = cursor.execute(
            "SELECT quiz_title, question_position, question, answers, correct_rate, most_chosen_wrong_option"
            " FROM marts.quiz_question_difficulty WHERE creator_id = %(creator)s AND is_difficult"
            " ORDER BY correct_rate, quiz_title, question_position LIMIT 3", params).fetchall()
    by_week = {int(row["weeks_back"]): row["value"] for row in weekly_active}
    sparkline = [by_week.get(index) for index in range(SPARKLINE_WEEKS - 1, -1, -1)]
    creator_links = [link for link in dashboards(superset_url) if link[0] == "Creator"]
    return CreatorReport(creator_id, start, end - timedelta(days=1), overview, sparkline, at_risk, quizzes,
                         questions, data_health(conn), creator_links, chat=chat, difficult_questions=difficult)


def creator_chat(cursor: psycopg.Cursor, creator_id: int, start: date, end: date) -> dict:
    """The chat_questions metric (its own SQL over one creator's rows) this week and the week before; the peak hour
    of the creator's students (creator_activity_hours, last 30 days)."""
    metric = load_metrics()["chat_questions"]
    query = (f"SELECT {metric.sql} AS value FROM {metric.table} WHERE creator_id = %(creator)s"  # noqa: S608
             f" AND {metric.time_column} >= %(start)s AND {metric.time_column} < %(end)s")
    values = [cursor.execute(query, {"creator": creator_id, "start": first, "end": last}).fetchone()["value"]
              for first, last in ((start, end), (start - timedelta(days=7), start))]
    peak = cursor.execute("SELECT hour_of_day FROM marts.creator_activity_hours"
                          " WHERE creator_id = %s AND is_peak_hour", (creator_id,)).fetchone()
    return {"metric": metric, "this_week": values[0], "week_before": values[1],
            "peak_hour": peak["hour_of_day"] if peak else None}
