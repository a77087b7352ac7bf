"""The code location's resources, settings and retries: every resource has typed fields built from the settings
(read when a run starts, never shown by Dagster), assets and checks reach the outside world only through them, no
module in orchestration/ reads the environment, the crons come from the settings and the retry count is defined once
and reaches the failure alert."""

from __future__ import annotations

import ast
import dataclasses
import email
import os
import subprocess
import sys
import typing
from datetime import timedelta
from email.policy import default as default_policy
from pathlib import Path

import pytest
import yaml
from sqlalchemy.engine import make_url

from reelhouse.config import SmtpSettings, get_settings

ROOT = Path(__file__).resolve().parents[2]
ORCHESTRATION = ROOT / "orchestration"


def _python_files(folder: Path) -> list[Path]:
    return sorted(path for path in folder.rglob("*.py") if "__pycache__" not in path.parts)


def _relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


@pytest.fixture()
def settings_env(reelhouse_home, monkeypatch):
    """monkeypatch.setenv + a fresh settings cache; the environment and the cache restored afterwards."""
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def test_every_resource_is_a_configurable_resource_with_typed_fields_built_from_the_settings(reelhouse_home):
    from dagster import ConfigurableResource
    from dagster_dbt import DbtCliResource

    from orchestration.definitions import defs
    from orchestration.lib.resources import FROM_SETTINGS, resources_from_settings

    base = get_settings()
    smtp = SmtpSettings(host="smtp.example.com", port=2525, user="mailer", password="smtp-secret",
                        security="starttls", sender="Reelhouse <r@example.com>", timeout_seconds=7.0)
    settings = dataclasses.replace(
        base, warehouse_url="postgresql://owner:owner-secret@db.example.com:6543/dw",
        app_db_url="postgresql://app:app-secret@app.example.com:5432/app", app_late_row_window=timedelta(hours=5),
        stripe_api_key="rk_test_resource", stripe_api_base="https://stripe.example.com",
        stripe_retry_budget_seconds=42.0,
        smtp=smtp, alert_recipients=("oncall@example.com",), report_recipients=("admin@example.com",),
        creator_report_recipients={12: ("ana@school.org", "li@school.org")},
        superset=dataclasses.replace(base.superset, url="https://bi.example.com", admin_user="boss",
                                     admin_password="superset-secret"),
        role_passwords={"postgres": "pg", "loader": "l-secret", "transformer": "t-secret", "analyst": "a-secret"})

    built = resources_from_settings(settings)
    assert set(built) == set(FROM_SETTINGS)
    for key, resource in built.items():
        assert isinstance(resource, ConfigurableResource), key
        fields = type(resource).model_fields
        assert fields, f"{key} has no config fields"
        untyped = [name for name, field in fields.items() if field.annotation in (None, typing.Any, object)]
        assert not untyped, f"{key}: untyped fields {untyped}"

    for role in ("loader", "transformer", "analyst"):
        url = make_url(built["warehouse"].url(role))
        assert (url.host, url.port, url.database, url.username, url.password) == (
            "db.example.com", 6543, "dw", role, settings.role_passwords[role])
    assert built["app_database"].url == settings.app_db_url
    assert built["app_database"].late_window == timedelta(hours=5)
    stripe = built["stripe_api"]
    assert (stripe.api_key, stripe.api_base, stripe.retry_policy().budget()) == (
        "rk_test_resource", "https://stripe.example.com", 42.0)
    superset = built["superset"]
    assert (superset.url, superset.admin_user, superset.admin_password) == (
        "https://bi.example.com", "boss", "superset-secret")
    assert built["failure_alerts"].recipients == ["oncall@example.com"]
    assert built["failure_alerts"].mail.smtp() == smtp
    reports = built["weekly_reports"]
    assert reports.platform_recipients == ["admin@example.com"] and reports.superset_url == "https://bi.example.com"
    assert reports.creators() == {12: ("ana@school.org", "li@school.org")} and reports.mail.smtp() == smtp
    assert "secret" not in repr(built)  # secrets' fields are kept out of reprs and logs

    # What the code location binds: these, plus dagster-dbt's own resource for the project.
    assert set(defs.resources) == set(FROM_SETTINGS) | {"dbt"}
    assert isinstance(defs.resources["dbt"], DbtCliResource)


def test_resources_read_the_settings_when_a_run_starts_and_dagster_never_holds_a_value(settings_env):
    from dagster import build_resources
    from dagster._core.remote_representation.external_data import RepositorySnap
    from dagster._serdes import serialize_value

    from orchestration.definitions import defs

    values = []
    for base in ("https://first.example.com", "https://second.example.com"):
        settings_env.setenv("STRIPE_API_BASE", base)
        settings_env.setenv("STRIPE_API_KEY", "sk_test_never_in_dagster")
        get_settings.cache_clear()
        with build_resources({"stripe_api": defs.resources["stripe_api"]}) as resources:
            values.append(resources.stripe_api.api_base)
    assert values == ["https://first.example.com", "https://second.example.com"]  # the same Definitions, per run
    snapshot = serialize_value(RepositorySnap.from_def(defs.get_repository_def()))
    assert "sk_test_never_in_dagster" not in snapshot and "second.example.com" not in snapshot
    assert get_settings().role_passwords["loader"] not in snapshot


def test_assets_checks_and_the_alert_reach_the_outside_world_through_the_resources(reelhouse_home):
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    needs = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if node.is_materializable:
            needs["/".join(key.path)] = node.assets_def.required_resource_keys
    assert needs["raw_app/users"] >= {"warehouse", "app_database"}
    assert needs["raw_stripe/charges"] >= {"warehouse", "stripe_api"}
    assert needs["raw_costs/video_provider_prices"] >= {"warehouse"}
    assert needs["marts/mrr_daily"] >= {"dbt", "warehouse"}
    assert needs["published_marts"] >= {"warehouse"}
    assert needs["superset/dashboards"] >= {"warehouse", "superset"}
    assert needs["reports/weekly_email"] >= {"warehouse", "weekly_reports"}
    for checks in defs.asset_checks:
        assert "warehouse" in checks.required_resource_keys, checks.node_def.name
    sensor = defs.get_repository_def().get_sensor_def("alert_data_team_on_final_failure")
    assert "failure_alerts" in sensor.required_resource_keys

    # Only the resources (and the instance's home, and the crons in definitions.py) read the settings; the
    # definitions never build a connection, a Stripe key or a Superset login of their own.
    readers = {"orchestration/lib/resources.py", "orchestration/lib/instance.py", "orchestration/definitions.py"}
    bypass = {"get_settings", "role_url", "app_db_url", "admin_url", "admin_client", "admin_password"}
    found = []
    for path in _python_files(ORCHESTRATION):
        if _relative(path) in readers:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = ([alias.name for alias in node.names] if isinstance(node, ast.ImportFrom) else
                     [node.attr] if isinstance(node, ast.Attribute) else [])
            found += [f"{_relative(path)}:{node.lineno} {name}" for name in names if name in bypass]
    assert not found, found


def _environment_reads(path: Path) -> list[str]:
    """Every read of the process environment: os.getenv, os.environ.get / [...] / copy / `in`, from os import ...;
    writing (os.environ[k] = v, .update, .pop to drop a value) is how values reach dbt and Dagster's children."""
    tree = ast.parse(path.read_text())
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    reads = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "os":
            reads += [f"from os import {a.name}" for a in node.names if a.name in ("environ", "getenv", "environb")]
        if isinstance(node, ast.Attribute) and node.attr == "getenv":
            reads.append("os.getenv")
        if not (isinstance(node, ast.Attribute) and node.attr == "environ"):
            continue
        parent = parents.get(node)
        if isinstance(parent, ast.Subscript) and isinstance(parent.ctx, (ast.Store, ast.Del)):
            continue
        if isinstance(parent, ast.Attribute) and parent.attr in ("update", "pop"):
            call = parents.get(parent)
            if parent.attr == "update" or isinstance(parents.get(call), ast.Expr):  # a pop whose value is dropped
                continue
        reads.append(f"line {node.lineno}: {ast.unparse(parent or node)[:60]}")
    return reads


def test_no_module_in_orchestration_reads_the_environment():
    reads = {_relative(path): found for path in _python_files(ORCHESTRATION) if (found := _environment_reads(path))}
    assert not reads, f"ask reelhouse.config.get_settings() (through a resource) instead: {reads}"


def test_the_environment_checker_sees_reads_and_lets_writes_through(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import os\nfrom os import getenv\n"
                      "a = os.environ.get('A')\nb = os.environ['B']\nc = os.getenv('C')\nd = 'D' in os.environ\n"
                      "e = os.environ.pop('E', None)\n"
                      "os.environ['F'] = '1'\nos.environ.update({'G': '1'})\nos.environ.pop('H', None)\n"
                      "del os.environ['I']\n")
    reads = _environment_reads(sample)
    assert len(reads) == 6, reads  # a, b, c (getenv), d, e, and the `from os import getenv`


def test_the_schedules_take_their_crons_from_the_settings(tmp_path):
    """Loaded as `dagster dev`/the code server load it, with crons other than the defaults in the environment."""
    environment = {**os.environ, "REELHOUSE_HOME": str(tmp_path), "HOURLY_REFRESH_CRON": "17 */2 * * *",
                   "WEEKLY_REPORT_CRON": "30 6 * * tue"}
    script = ("from orchestration.definitions import defs\nrepository = defs.get_repository_def()\n"
              "print(repository.get_schedule_def('hourly_refresh_schedule').cron_schedule)\n"
              "print(repository.get_schedule_def('weekly_report_schedule').cron_schedule)\n")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines()[-2:] == ["17 */2 * * *", "30 6 * * tue"]


def test_the_retry_count_is_defined_once(reelhouse_home):
    from orchestration.definitions import defs
    from orchestration.lib.instance import instance_config
    from orchestration.lib.retries import MAX_RETRIES_TAG, RETRY_STRATEGY_TAG, RUN_RETRIES

    home = "orchestration/lib/retries.py"
    elsewhere = []
    for path in _python_files(ORCHESTRATION):
        if _relative(path) == home:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "RetryPolicy":
                elsewhere.append(f"{_relative(path)}:{node.lineno} RetryPolicy(...)")
            if isinstance(node, ast.keyword) and node.arg and "retries" in node.arg:
                elsewhere.append(f"{_relative(path)}:{node.value.lineno} {node.arg}=")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "retries" in node.value \
                    and node.value.startswith("dagster/"):
                elsewhere.append(f"{_relative(path)}:{node.lineno} {node.value!r}")
    assert not elsewhere, elsewhere
    # Both instances only switch run retries on; each run carries its count as its job's tag.
    deployed = yaml.safe_load((ORCHESTRATION / "deploy" / "dagster.yaml").read_text())
    assert deployed["run_retries"] == instance_config()["run_retries"] == {"enabled": True}
    for job in defs.get_repository_def().get_all_jobs():
        if job.name.startswith("__"):
            continue  # Dagster's own job for materializations started by hand: not retried
        assert job.tags[MAX_RETRIES_TAG] == str(RUN_RETRIES), job.name
        assert job.tags[RETRY_STRATEGY_TAG] == "FROM_FAILURE", job.name


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        self.messages.append(email.message_from_bytes(envelope.content, policy=default_policy))
        return "250 Message accepted"


def test_the_failure_alert_waits_for_the_last_retry_and_then_mails_the_data_team():
    from aiosmtpd.controller import Controller
    from dagster import DagsterInstance, SkipReason, build_run_status_sensor_context, job, op

    from orchestration.defs.pipeline.sensors import alert_data_team_on_final_failure
    from orchestration.lib.resources import FailureAlerts, Mail
    from orchestration.lib.retries import RETRY_NUMBER_TAG, RUN_RETRIES, run_retry_tags
    from reelhouse.warehouse.embedded import free_port

    @op
    def load_something():
        raise RuntimeError("the source answered 503")

    @job(tags=run_retry_tags())
    def failing():
        load_something()

    inbox, port = _Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    alerts = FailureAlerts(recipients=["oncall@example.com"], mail=Mail(
        host="127.0.0.1", port=port, sender="Reelhouse <r@example.com>", timeout_seconds=10.0))
    outcomes = []
    try:
        with DagsterInstance.ephemeral() as instance:
            for attempt in range(RUN_RETRIES + 1):
                tags = {RETRY_NUMBER_TAG: str(attempt)} if attempt else {}
                result = failing.execute_in_process(instance=instance, raise_on_error=False, tags=tags)
                with build_run_status_sensor_context(
                        sensor_name="alert_data_team_on_final_failure", dagster_event=result.get_run_failure_event(),
                        dagster_instance=instance, dagster_run=result.dagster_run,
                        resources={"failure_alerts": alerts}).for_run_failure() as context:
                    outcomes.append(alert_data_team_on_final_failure(context))
    finally:
        controller.stop()
    assert [isinstance(outcome, SkipReason) for outcome in outcomes] == [True] * RUN_RETRIES + [False]
    assert "attempt 1 of 3" in outcomes[0].skip_message
    [message] = inbox.messages
    assert message["To"] == "oncall@example.com" and message["Subject"] == "[reelhouse] failing failed"
    body = message.get_content()
    assert f"failed after {RUN_RETRIES} retries" in body and "step load_something:" in body
    assert "the source answered 503" in body
