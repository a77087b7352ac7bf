"""The weekly report, sent for real: marts built on the demo world, a real SMTP server on loopback."""

from __future__ import annotations

import email
import os
import re
import shutil
import subprocess
from datetime import timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from reelhouse.config import get_settings
from reelhouse.warehouse import connect, role_url
from reelhouse.warehouse.embedded import free_port
from semantic.metrics import format_value, load_metrics, metric_value
from semantic.report import build_platform_report, render_platform, send_weekly_reports, standalone_html

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ADMINS = ("admin@example.com", "ops@example.com")
REFUSED = "bounce@example.com"


class Inbox:
    """An aiosmtpd handler that keeps every message and can refuse one address (a failing recipient)."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 (aiosmtpd API)
        if address in self.refuse:
            return "550 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


@pytest.fixture()
def inbox(built_marts):
    handler = Inbox()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    with connect(role_url("analyst")) as conn:
        creators = [row[0] for row in conn.execute(
            "SELECT creator_id FROM marts.creator_overview WHERE students_at_risk > 0"
            " ORDER BY students_total DESC, creator_id LIMIT 2").fetchall()]
    environment = {
        "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
        "REPORT_RECIPIENTS": ",".join(ADMINS),
        "REPORT_CREATOR_RECIPIENTS": f"{creators[0]}=ana@school.org,{creators[1]}=bo@academy.io",
    }
    os.environ.update(environment)
    get_settings.cache_clear()
    handler.creators = creators
    yield handler
    controller.stop()
    for name in environment:
        os.environ.pop(name, None)
    get_settings.cache_clear()
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("DELETE FROM ops.report_sends")


def cids_in(html: str) -> set[str]:
    return set(re.findall(r'src="cid:([^"]+)"', html))


def metric_cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="([a-z_0-9]+)">([^<]+)<', html))


def label_cells(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-label="([a-z_0-9]+)">([^<]+)<', html))


def section(text: str, title: str) -> list[str]:
    """The non-empty lines under a plain-text heading, up to the next blank line."""
    lines = text.split(title + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    return [line for line in lines if line.strip()]


def test_every_recipient_gets_one_complete_email_whose_numbers_are_the_marts(inbox):
    summary = send_weekly_reports(get_settings())
    assert summary.ok and len(summary.sent) == 4 and not summary.skipped
    assert sorted(m["To"] for m in inbox.messages) == sorted([*ADMINS, "ana@school.org", "bo@academy.io"])

    for message in inbox.messages:
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert text.strip() and html.strip()
        attached = {part["Content-ID"].strip("<>") for part in message.walk() if part["Content-ID"]}
        assert cids_in(html) and cids_in(html) <= attached

    admin = inbox.to(ADMINS[0])[0]
    html = admin.get_body(("html",)).get_content()
    text = admin.get_body(("plain",)).get_content()
    cells = metric_cells(html)
    metrics = {m.wow_metric: m for m in load_metrics().values() if m.wow_metric}
    with connect(role_url("analyst")) as conn:
        deltas = conn.execute("SELECT metric, current_value FROM marts.wow_deltas WHERE weeks = 1").fetchall()
        mrr = conn.execute("SELECT mrr_usd FROM marts.mrr_daily WHERE date_day = "
                           "(SELECT min(current_end) - 1 FROM marts.wow_deltas)").fetchone()[0]
        templates = [row[0] for row in conn.execute(
            "SELECT template_name FROM marts.template_leaderboard WHERE timeframe = '7d'"
            " ORDER BY usage_rank, template_name LIMIT 10").fetchall()]
        at_risk = conn.execute(
            "SELECT entities FROM marts.engagement_tier_daily WHERE population = 'user' AND engagement_tier = 'at_risk'"
            " AND date_day = (SELECT min(current_end) - 1 FROM marts.wow_deltas)").fetchone()[0]
    assert len(deltas) == len(metrics)
    for metric_name, value in deltas:
        expected = format_value(value, metrics[metric_name].format)
        assert cells[metrics[metric_name].name] == expected
        assert expected in text
    assert format_value(mrr, "usd") in html and format_value(mrr, "usd") in text
    positions = [text.index(f". {name}:") for name in templates]
    assert positions == sorted(positions)
    assert f"{at_risk:,} users are at risk" in text
    assert "DATA HEALTH" in text and f"{get_settings().superset.url}/superset/dashboard/" in text

    # A second run in the same week sends nothing.
    again = send_weekly_reports(get_settings())
    assert not again.sent and len(again.skipped) == 4 and len(inbox.messages) == 4


def test_every_number_in_the_headlines_and_revenue_is_a_metric_under_its_metrics_yml_label(built_marts):
    """Defect 8: "Paying users 72" sat next to "MRR from 391 paying customers". Each figure is now a metric of
    metrics.yml shown under its label (credit-pack buyers, paying subscribers), with the value of its own query."""
    metrics = load_metrics()
    with connect(role_url("transformer")) as conn:  # the report also reads ops.dq_results
        report = build_platform_report(conn, get_settings().superset.url)
        for figure in report.revenue:
            start = report.week_start if figure.period == "this week" else report.week_end
            assert figure.value == metric_value(conn, figure.metric, start, report.week_end + timedelta(days=1))
    message, html = render_platform(report)
    text = message.get_body(("plain",)).get_content()
    cells, labels = metric_cells(html), label_cells(html)
    shown = [kpi.metric for kpi in report.kpis] + [figure.metric for figure in report.revenue]
    assert {"credit_pack_buyers", "paying_subscribers", "mrr_usd"} <= {metric.name for metric in shown}
    assert set(cells) == set(labels) == {metric.name for metric in shown}
    assert all(labels[name] == metrics[name].label for name in labels)
    lines = section(text, "HEADLINES") + section(text, "REVENUE AND MRR")
    assert len(lines) == len(shown)
    for line, metric in zip(lines, shown, strict=True):
        assert line.startswith(metric.label + " ") and cells[metric.name] in line, line
    for wording in ("paying users", "paying customers"):
        assert wording not in text.lower() and wording not in html.lower()


def test_a_creator_email_holds_only_that_creators_students(inbox):
    send_weekly_reports(get_settings())
    first, second = inbox.creators
    with connect(role_url("analyst")) as conn:
        overview = conn.execute("SELECT students_total, students_active_7d, students_at_risk"
                                " FROM marts.creator_overview WHERE creator_id = %s", (first,)).fetchone()
        at_risk = {row[0]: row[1] for row in conn.execute(
            "SELECT student_id, creator_id FROM marts.creator_at_risk_students").fetchall()}
    message = inbox.to("ana@school.org")[0]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content()
    cells = metric_cells(html)
    assert (cells["students_total"], cells["students_active_7d"], cells["students_at_risk"]) == tuple(
        format_value(v, "integer") for v in overview)
    listed = {int(student) for student in re.findall(r"^#(\d+) \(", text, flags=re.MULTILINE)}
    assert listed and all(at_risk[student] == first for student in listed)
    others = {student for student, creator in at_risk.items() if creator == second}
    assert not listed & others
    assert f"Creator {first}" in text and f"Creator {second}" not in text


def test_one_failing_recipient_does_not_stop_the_others_and_only_it_is_retried(inbox, monkeypatch):
    monkeypatch.setenv("REPORT_RECIPIENTS", f"{ADMINS[0]},{REFUSED}")
    get_settings.cache_clear()
    inbox.refuse.add(REFUSED)
    first = send_weekly_reports(get_settings())
    assert [(report, to) for report, to, _ in first.failed] == [("platform", REFUSED)]
    assert len(first.sent) == 3 and "550" in first.failed[0][2]
    inbox.refuse.clear()
    retry = send_weekly_reports(get_settings())
    assert retry.sent == [("platform", REFUSED)] and len(retry.skipped) == 3
    assert len(inbox.to(REFUSED)) == 1 and len(inbox.to(ADMINS[0])) == 1


def test_the_html_renders_in_headless_chromium(built_marts, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    assert browser, "Debian's chromium is needed (make test installs it: apt-get install chromium)"
    with connect(role_url("transformer")) as conn:
        message, _ = render_platform(build_platform_report(conn, get_settings().superset.url))
    page = tmp_path / "weekly.html"
    page.write_text(standalone_html(message))
    ARTIFACTS.mkdir(exist_ok=True)
    screenshot = ARTIFACTS / "weekly_report.png"
    screenshot.unlink(missing_ok=True)
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--window-size=800,1800", f"--screenshot={screenshot}", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    png = screenshot.read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 20_000  # a rendered page, not a blank one


def test_two_sends_at_once_still_send_each_email_once(inbox):
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: send_weekly_reports(get_settings()), range(2)))
    assert sorted(len(result.sent) for result in results) == [0, 4]
    assert len(inbox.messages) == 4


def test_the_dagster_weekly_report_job_sends_and_a_rerun_sends_nothing(inbox):
    from dagster import DagsterInstance

    from orchestration.definitions import defs

    job = defs.resolve_job_def("weekly_report")
    with DagsterInstance.ephemeral() as instance:
        first = job.execute_in_process(instance=instance, raise_on_error=False)
        second = job.execute_in_process(instance=instance, raise_on_error=False)
    assert first.success and second.success
    assert len(inbox.messages) == 4


def test_a_creator_email_states_its_chat_volume_peak_hour_and_difficult_quiz_questions(inbox):
    """The Creator Dashboard doc's cards in the creator's weekly email: questions asked in the AI chat this week (the
    chat_questions metric over that creator's rows), the students' busiest hour and the quiz questions they find
    difficult."""
    send_weekly_reports(get_settings())
    first = inbox.creators[0]
    with connect(role_url("analyst")) as conn:
        start, end = conn.execute("SELECT min(current_start), min(current_end) FROM marts.wow_deltas"
                                  " WHERE weeks = 1").fetchone()
        questions = conn.execute("SELECT coalesce(sum(questions_asked), 0) FROM marts.creator_chat_daily"
                                 " WHERE creator_id = %s AND date_day >= %s AND date_day < %s",
                                 (first, start, end)).fetchone()[0]
        peak = conn.execute("SELECT hour_of_day FROM marts.creator_activity_hours WHERE creator_id = %s"
                            " AND is_peak_hour", (first,)).fetchone()
        difficult = conn.execute("SELECT quiz_title, question_position FROM marts.quiz_question_difficulty"
                                 " WHERE creator_id = %s AND is_difficult ORDER BY correct_rate, quiz_title,"
                                 " question_position LIMIT 3", (first,)).fetchall()
        others = {row[0] for row in conn.execute(
            "SELECT quiz_title FROM marts.quiz_question_difficulty WHERE creator_id <> %s", (first,)).fetchall()}
    message = inbox.to("ana@school.org")[0]
    html = message.get_body(("html",)).get_content()
    text = message.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP delivers CRLF lines
    label = load_metrics()["chat_questions"].label
    assert metric_cells(html)["chat_questions"] == format_value(questions, "integer")
    assert f"{label}: {format_value(questions, 'integer')} this week" in text
    assert metric_cells(html)["peak_hour"] == (f"{peak[0]:02d}:00" if peak else "n/a")
    listed = [line for line in text.split("QUIZ QUESTIONS STUDENTS FIND DIFFICULT\n", 1)[1].split("\n\n", 1)[0]
              .splitlines() if line.strip()]
    if difficult:
        assert [line.split(", question ")[0] for line in listed] == [title for title, _ in difficult]
        assert all(f"question {position} " in line for line, (_, position) in zip(listed, difficult, strict=True))
    else:
        assert listed == ["None: every question with 5+ answers is answered right at least half the time."]
    assert not {line.split(", question ")[0] for line in listed} & (others - {title for title, _ in difficult})
