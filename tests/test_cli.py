"""The `reelhouse` front door: every command is listed, and user mistakes get one clear line, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "reelhouse", *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )


def assert_one_clear_line(done: subprocess.CompletedProcess[str], *expected: str) -> None:
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    for text in expected:
        assert text in lines[0]


def test_help_lists_every_command_with_a_description():
    top = run_cli("--help")
    assert top.returncode == 0
    for group in ("db", "demo", "ingest", "run", "dev", "dbt", "stripe"):
        assert group in top.stdout
    db_help = run_cli("db", "--help").stdout
    for command in ("start", "stop", "status", "url", "init"):
        assert command in db_help
    demo_help = run_cli("demo", "--help").stdout
    for command in ("generate", "advance", "stripe-server", "run"):
        assert command in demo_help


def test_unreachable_warehouse_url_is_one_line_without_the_password(tmp_path):
    done = run_cli(
        "db", "init",
        env={"WAREHOUSE_URL": "postgresql://owner:hunter2secret@127.0.0.1:9/reelhouse",
             "REELHOUSE_HOME": str(tmp_path)},
    )
    assert_one_clear_line(done, "cannot connect", "127.0.0.1:9")
    assert "hunter2secret" not in done.stderr + done.stdout


def test_embedded_port_in_use_is_one_line(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli("db", "start", env={"REELHOUSE_PG_PORT": str(port), "REELHOUSE_HOME": str(tmp_path)})
    assert_one_clear_line(done, f"port {port}", "REELHOUSE_PG_PORT")


def test_run_reads_stripe_where_configured_and_says_so_when_nothing_answers_there(warehouse):
    """`reelhouse run` no longer serves the demo's Stripe account itself (production code never imports demo/):
    on the demo default with no demo server up it stops at once with one line pointing at `reelhouse demo run`."""
    from reelhouse.warehouse.embedded import free_port

    port = free_port()
    done = run_cli("run", "hourly", env={"STRIPE_SERVER_PORT": str(port)})
    assert_one_clear_line(done, f"nothing answers at STRIPE_API_BASE http://127.0.0.1:{port}",
                          "reelhouse demo run hourly")


@pytest.mark.parametrize("role", ["analyst", "loader"])
def test_db_url_hides_the_password_unless_asked(warehouse, role):
    hidden = run_cli("db", "url", "--role", role)
    shown = run_cli("db", "url", "--role", role, "--show-password")
    password = warehouse.role_passwords[role]
    assert hidden.returncode == 0 and shown.returncode == 0
    assert password not in hidden.stdout and "***" in hidden.stdout
    assert password in shown.stdout and f"{role}:" in shown.stdout


def test_ingest_with_a_bad_stripe_key_is_one_line_and_never_prints_the_key(demo_world):
    from demo.stripe_world.background import running_stripe_server

    secret = "sk_test_wrong_key_for_cli_4321"
    with running_stripe_server(demo_world["stripe_url"]) as server:
        done = run_cli("ingest", "--source", "stripe",
                       env={"STRIPE_API_KEY": secret, "STRIPE_API_BASE": server.base_url})
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert secret not in done.stdout + done.stderr
    error_lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(error_lines) == 1 and "rejected the API key" in error_lines[0]


def test_ingest_loads_the_app_database_and_reports_per_table(demo_world):
    done = run_cli("ingest", "--source", "app", "--source", "costs")
    assert done.returncode == 0, done.stderr
    assert "app.videos" in done.stdout and "costs.video_provider_prices" in done.stdout


def test_the_state_folder_is_the_checkouts_whichever_folder_a_command_runs_in():
    """Run from dbt_project/, a relative default once pointed at a second, empty warehouse."""
    checkout = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {key: value for key, value in os.environ.items() if key != "REELHOUSE_HOME"}
    homes = {subprocess.run([sys.executable, "-c", "from reelhouse.config import get_settings; "
                             "print(get_settings().home)"], cwd=folder, env=env, capture_output=True, text=True,
                            check=True).stdout.strip()
             for folder in (checkout, os.path.join(checkout, "dbt_project"), os.path.join(checkout, "tests"))}
    assert homes == {os.path.join(checkout, ".reelhouse")}
