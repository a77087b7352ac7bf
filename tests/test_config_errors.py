"""Every setting in README's configuration table is checked when the settings load: a value that cannot work is one
line naming the variable, its value (secrets masked) and what is expected, exit 2, for every command; never a
traceback. The variables are read from the README's table, so a new variable without a case here fails."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# variable -> (a value a user could well set, what the line must say). {tmp} is a fresh folder, {file} a file in it.
BAD_VALUES = {
    "REELHOUSE_HOME": ("{file}/state", "a folder Reelhouse can create and write"),
    "REELHOUSE_PG_PORT": ("5432x", "a TCP port number"),
    "WAREHOUSE_URL": ("localhost:5432/dw", "a PostgreSQL URL"),
    "WAREHOUSE_LOADER_PASSWORD": ("s3cret-loader\r", "no control characters"),
    "WAREHOUSE_TRANSFORMER_PASSWORD": ("s3cret-transformer\r", "no control characters"),
    "WAREHOUSE_ANALYST_PASSWORD": ("s3cret-analyst\r", "no control characters"),
    "WAREHOUSE_POSTGRES_PASSWORD": ("s3cret-postgres\n", "no control characters"),
    "APP_DB_URL": ("mysql://reader:s3cret-app@db.internal/app", "a PostgreSQL URL"),
    "APP_LATE_ROW_WINDOW_HOURS": ("one day", "a number of hours"),
    "STRIPE_API_KEY": ("pk_live_51Hs3cretPublishable", "secret key"),
    "STRIPE_API_BASE": ("api.stripe.com", "a URL like https://api.stripe.com"),
    "STRIPE_SERVER_PORT": ("twelve", "a TCP port number"),
    "STRIPE_WEBHOOK_SECRET": ("sk_live_s3cretNotAWebhookSecret", "signing secret (whsec_"),
    "SMTP_HOST": ("smtp.example.com:587", "a host name or IP address"),
    "SMTP_PORT": ("587/tcp", "a TCP port number"),
    "SMTP_USER": ("reports\r", "no control characters"),
    "SMTP_PASSWORD": ("s3cret-smtp\r", "no control characters"),
    "SMTP_SECURITY": ("tls", "one of none, starttls, ssl"),
    "REPORT_SENDER": ("reports", "an email address"),
    "ALERT_RECIPIENTS": ("ops-team", "email addresses"),
    "HOURLY_REFRESH_CRON": ("hourly", "a cron expression"),
    "REELHOUSE_AS_OF": ("yesterday", "an ISO timestamp"),
    "REPORT_RECIPIENTS": ("ana@school.org, board", "email addresses"),
    "REPORT_CREATOR_RECIPIENTS": ("ana@school.org", "entries like 12=ana@school.org"),
    "WEEKLY_REPORT_CRON": ("0 8 * * monday", "a cron expression"),
    "SUPERSET_URL": ("localhost:8088", "a URL like http://localhost:8088"),
    "SUPERSET_VENV": ("{file}", "a folder"),
    "SUPERSET_ADMIN_USER": ("super admin", "a user name without spaces"),
    "SUPERSET_ADMIN_PASSWORD": ("s3cret-admin\r", "no control characters"),
    "SUPERSET_SECRET_KEY": ("s3cret-key\r", "no control characters"),
    "SUPERSET_METADATA_URL": ("superset:s3cret-meta@db.internal:5432/superset", "a URL like postgresql://"),
    "SUPERSET_CACHE_REDIS_URL": ("redis:6379", "a URL like redis://"),
    "DAGSTER_HOME": ("{file}/dagster", "a folder Reelhouse can create and write"),
    "STRIPE_RETRY_BUDGET_SECONDS": ("0", "a number of seconds"),
    "STRIPE_LISTERS": ("4.5", "a whole number of listers from 1 to 16"),
    "STRIPE_REQUESTS_PER_SECOND": ("0.5", "a number of requests a second from 1 to 1000"),
    "DBT_THREADS": ("0", "a whole number of threads from 1 to 32"),
}
SECRET_TEXT = re.compile(r"s3cret[-\w]*")


def configuration_table_variables() -> list[str]:
    """Every variable named in the first column of README's configuration table."""
    section = (ROOT / "README.md").read_text().split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    names = []
    for line in section.splitlines():
        if line.startswith("| `"):
            names += re.findall(r"`([A-Z][A-Z0-9_]+)`", line.split("|")[1])
    return names


def run_cli(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess[str]:
    base = {key: value for key, value in os.environ.items()
            if key not in BAD_VALUES or key in ("REELHOUSE_HOME", "REELHOUSE_PG_PORT")}
    return subprocess.run([sys.executable, "-m", "reelhouse", *args], capture_output=True, text=True,
                          timeout=timeout, env={**base, **env}, cwd=ROOT)


def assert_one_line(done: subprocess.CompletedProcess[str], *expected: str) -> str:
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and not done.stdout.strip(), output
    assert done.returncode == 2, output
    for text in expected:
        assert text in lines[0], lines[0]
    return lines[0]


def test_the_readme_table_and_the_cases_name_the_same_variables():
    documented = configuration_table_variables()
    assert len(documented) > 25  # the parser found the table
    assert sorted(set(documented) - set(BAD_VALUES)) == [], "a documented variable without a bad-value case"
    assert sorted(set(BAD_VALUES) - set(documented)) == [], "a case for a variable README does not document"


def test_every_documented_variable_with_a_bad_value_is_one_line_naming_it(tmp_path):
    cases = []
    for index, variable in enumerate(configuration_table_variables()):
        folder = tmp_path / f"case{index}"
        folder.mkdir()
        (folder / "a-file").write_text("not a folder")
        value = BAD_VALUES[variable][0].format(tmp=folder, file=folder / "a-file")
        home = value if variable == "REELHOUSE_HOME" else str(folder / "home")
        cases.append((variable, value, {"REELHOUSE_HOME": home, variable: value}))
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda case: run_cli(["db", "status"], case[2]), cases))
    for (variable, value, _), done in zip(cases, results, strict=True):
        line = assert_one_line(done, f"{variable}=", BAD_VALUES[variable][1])
        for secret in SECRET_TEXT.findall(value):
            assert secret not in done.stdout + done.stderr, line


@pytest.mark.parametrize(("variable", "value", "expected"), [
    ("WAREHOUSE_URL", "mysql://owner:s3cret-owner@db.internal:3306/reelhouse", "not mysql"),
    ("WAREHOUSE_URL", "postgresql://owner:s3cret-owner@db.internal:5432", "with a host and a database"),
    ("REELHOUSE_HOME", "/proc/reelhouse-state", "a folder Reelhouse can create and write"),
    ("REELHOUSE_PG_PORT", "70000", "a TCP port number from 1 to 65535"),
    ("STRIPE_API_KEY", "sk_live_s3cretKey ", "secret key"),
])
def test_more_mistakes_of_the_issue(tmp_path, variable, value, expected):
    env = {"REELHOUSE_HOME": str(tmp_path / "home"), variable: value}
    line = assert_one_line(run_cli(["db", "status"], env), f"{variable}=", expected)
    assert "s3cret" not in line


def test_two_bad_settings_are_both_named_on_one_line(tmp_path):
    env = {"REELHOUSE_HOME": str(tmp_path), "SMTP_PORT": "x", "STRIPE_SERVER_PORT": "y"}
    assert_one_line(run_cli(["db", "status"], env), "SMTP_PORT='x'", "STRIPE_SERVER_PORT='y'")


def leaf_commands() -> list[list[str]]:
    """Every command the CLI has, as the words that invoke it (a group that runs by itself counts too)."""
    import click
    import typer.main

    from reelhouse.cli import cli

    def walk(command, words: list[str]):
        if hasattr(command, "commands"):
            if words and getattr(command, "invoke_without_command", False):
                yield words
            for name in command.list_commands(click.Context(command)):
                yield from walk(command.commands[name], [*words, name])
        else:
            yield words

    return list(walk(typer.main.get_command(cli), []))


# Required arguments of the commands that have some (the bad setting must be reported before anything runs).
ARGUMENTS = {("report", "weekly"): ["--preview", "{tmp}/report.html"],
             ("superset", "creator-login"): ["12", "--email", "ana@school.org"],
             ("dbt",): ["debug"]}


def test_a_bad_setting_stops_every_command_with_the_same_line(tmp_path):
    commands = leaf_commands()
    assert ["db", "status"] in commands and ["demo"] in commands and ["run", "hourly"] in commands
    env = {"REELHOUSE_HOME": str(tmp_path), "SMTP_PORT": "twenty-five"}
    args = [[*words, *(arg.format(tmp=tmp_path) for arg in ARGUMENTS.get(tuple(words), []))] for words in commands]
    with ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(lambda command: run_cli(command, env), args))
    lines = {" ".join(command): assert_one_line(done, "SMTP_PORT='twenty-five'")
             for command, done in zip(args, results, strict=True)}
    assert len(set(lines.values())) == 1, lines
