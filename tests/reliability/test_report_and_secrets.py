"""The weekly send with the SMTP server down, and a whole run (pipeline, report, the usual failures) that must
never show a secret in any output, log, error column or run record."""

from __future__ import annotations

import email
import secrets
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from faultkit import run_cli

from reelhouse.config import get_settings
from reelhouse.warehouse import admin_url, connect, role_url
from reelhouse.warehouse.embedded import free_port

ADMINS = ("admin@example.com", "ops@example.com")


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"


def smtp_server(port: int, inbox: Inbox, login: tuple[str, str] | None = None) -> Controller:
    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = login is not None and (auth_data.login.decode(), auth_data.password.decode()) == login
        return AuthResult(success=ok)

    extra = {"authenticator": authenticate, "auth_require_tls": False} if login else {}
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **extra)
    controller.start()
    return controller


@pytest.fixture()
def clean_send_log(built_marts):
    yield
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("DELETE FROM ops.report_sends")


def test_smtp_down_during_the_weekly_send_fails_clearly_and_the_retry_sends_each_email_once(clean_send_log):
    port = free_port()  # nothing listens there yet: the relay is down
    env = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_SECURITY": "none",
           "REPORT_RECIPIENTS": ",".join(ADMINS)}
    down = run_cli("report", "weekly", "--send", env=env)
    assert down.returncode == 1 and "Traceback" not in down.stdout + down.stderr
    assert [line for line in down.stderr.splitlines() if line.strip()] == \
        ["error: 2 report(s) could not be sent; run again to retry only those"]
    assert f"could not send mail via 127.0.0.1:{port}" in down.stdout
    with connect(role_url("transformer")) as conn:
        logged = conn.execute("SELECT status, count(*) FROM ops.report_sends GROUP BY 1").fetchall()
    assert logged == [("failed", 2)]

    inbox = Inbox()
    relay = smtp_server(port, inbox)  # the relay is back
    try:
        retry = run_cli("report", "weekly", "--send", env=env)
        again = run_cli("report", "weekly", "--send", env=env)
    finally:
        relay.stop()
    assert retry.returncode == 0, retry.stdout + retry.stderr
    assert "2 sent, 0 already sent, 0 failed" in retry.stdout
    assert again.returncode == 0 and "0 sent, 2 already sent, 0 failed" in again.stdout
    assert sorted(message["To"] for message in inbox.messages) == sorted(ADMINS)  # each exactly once


def test_no_secret_appears_in_any_output_log_or_record_of_a_full_run(clean_send_log, demo_world):
    """A full hourly run and a weekly send with real credentials, then the usual failures (a wrong Stripe key, the
    app database unreachable, the SMTP relay down); every secret is searched for in everything they left."""
    from demo.stripe_world.background import running_stripe_server

    token = secrets.token_hex(6)
    stripe_key, wrong_key = f"sk_test_reliability_{token}", f"sk_test_wrong_{token}"
    smtp_password, wrong_smtp_password = f"smtp-pass-{token}", f"smtp-wrong-{token}"
    app_password = f"app-db-pass-{token}"
    settings = get_settings()
    secret_values = {"stripe key": stripe_key, "wrong stripe key": wrong_key, "smtp password": smtp_password,
                     "wrong smtp password": wrong_smtp_password, "app db password": app_password,
                     **{f"{role} password": password for role, password in settings.role_passwords.items()}}
    inbox, port = Inbox(), free_port()
    relay = smtp_server(port, inbox, login=("reports", smtp_password))
    outputs: dict[str, str] = {}
    try:
        with running_stripe_server(demo_world["stripe_url"], api_key=stripe_key) as stripe:
            env = {"STRIPE_API_KEY": stripe_key, "STRIPE_API_BASE": stripe.base_url, "SMTP_HOST": "127.0.0.1",
                   "SMTP_PORT": str(port), "SMTP_USER": "reports", "SMTP_PASSWORD": smtp_password,
                   "REPORT_RECIPIENTS": ADMINS[0]}
            runs = {
                "run hourly": (["run", "hourly"], {}, 0),
                "report send": (["report", "weekly", "--send"], {}, 0),
                "wrong stripe key": (["ingest", "--source", "stripe"], {"STRIPE_API_KEY": wrong_key}, 1),
                "app db unreachable": (["ingest", "--source", "app"],
                                       {"APP_DB_URL": f"postgresql://app:{app_password}@127.0.0.1:9/app"}, 1),
                "smtp relay down": (["report", "weekly", "--send"],
                                    {"SMTP_PORT": str(free_port()), "SMTP_PASSWORD": wrong_smtp_password,
                                     "REPORT_RECIPIENTS": ADMINS[1]}, 1),
                "db url": (["db", "url", "--role", "loader"], {}, 0),
            }
            for name, (args, extra, expected) in runs.items():
                done = run_cli(*args, env={**env, **extra}, timeout=900)
                outputs[f"{name} (stdout)"], outputs[f"{name} (stderr)"] = done.stdout, done.stderr
                assert done.returncode == expected, f"{name}: {done.stdout[-3000:]}{done.stderr[-3000:]}"
    finally:
        relay.stop()
    assert len(inbox.messages) == 1  # the send with the password went out
    assert "could not send mail via 127.0.0.1" in outputs["smtp relay down (stdout)"]  # the failure is reported

    with connect(admin_url()) as conn:
        outputs["ops.load_audit"] = "\n".join(r[0] for r in conn.execute(
            "SELECT coalesce(error, '') || cursor_before::text || cursor_after::text FROM ops.load_audit"))
        outputs["ops.report_sends"] = "\n".join(r[0] or "" for r in conn.execute("SELECT error FROM ops.report_sends"))
        outputs["ops.dq_results"] = "\n".join(r[0] or "" for r in conn.execute(
            "SELECT observed_value FROM ops.dq_results"))
        outputs["ops.quarantine"] = "\n".join(r[0] for r in conn.execute("SELECT payload::text FROM ops.quarantine"))
    with connect(admin_url("dagster")) as conn:  # Dagster's run records and event log
        for table, column in (("event_logs", "event"), ("runs", "run_body")):
            for label, value in secret_values.items():
                hits = conn.execute(f"SELECT count(*) FROM {table} WHERE strpos({column}, %s) > 0", (value,))
                assert hits.fetchone()[0] == 0, f"the {label} is in Dagster's {table}"
    for path in log_files(settings.home):
        outputs[str(path)] = path.read_text(errors="replace")
    leaks = [f"the {label} is in {where}" for where, text in outputs.items()
             for label, value in secret_values.items() if value in text]
    assert leaks == []


def log_files(home: Path) -> list[Path]:
    """Every text file the run left in the state folder and dbt's logs, except the one that holds credentials by
    design (credentials.json, mode 600) and the database files themselves; dagster.yaml is read too (the storage
    URL reaches Dagster in DAGSTER_PG_URL)."""
    from orchestration.lib.dbt_project import DBT_PROJECT_DIR

    by_design = {"credentials.json"}
    files = [path for path in home.rglob("*") if path.is_file() and path.name not in by_design
             and "pgdata" not in path.parts and path.suffix in ("", ".log", ".json", ".html", ".txt", ".yml",
                                                                 ".yaml", ".out", ".err")]
    files.append(home / "pgdata" / "server.log")
    files += list((Path(DBT_PROJECT_DIR) / "logs").glob("*.log"))
    return [path for path in files if path.exists() and path.stat().st_size < 50_000_000]


def test_the_gx_project_file_holds_no_warehouse_password(built_marts):
    """GX keeps its datasource in a project file; the connection string there is a placeholder filled from the
    environment of the process that runs the checks."""
    from expectations.runner import run_suite
    from expectations.suite import load_suites

    settings = get_settings()
    suite = load_suites()["marts.mrr_daily"]
    assert run_suite(suite, role_url("transformer"), "reliability-secrets").outcomes  # the checks really ran
    config = next((settings.home / "gx").rglob("great_expectations.yml"))
    assert settings.role_passwords["transformer"] not in config.read_text()
