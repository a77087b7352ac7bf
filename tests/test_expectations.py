"""Great Expectations suites as code: parsed from YAML, run for real against PostgreSQL, recorded in ops."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from expectations.runner import run_suite
from expectations.suite import SuiteFileError, load_suites, parse_suite
from reelhouse.warehouse import connect, role_url

SUITE = """
table: raw_app.dq_probe
blocking: true
expectations:
  - expect: column_values_to_not_be_null
    column: id
  - expect: column_values_to_be_in_set
    column: provider
    value_set: [LUMA_V1, LUMA_V2, KLING_V1, KLING_V2]
  - expect: unexpected_rows
    description: credits are never negative
    query: SELECT id FROM {batch} WHERE credits < 0
    blocking: false
"""


@pytest.fixture()
def probe_table(warehouse):
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_app.dq_probe")
        conn.execute("CREATE TABLE raw_app.dq_probe (id bigint, provider text, credits int)")
        conn.execute("INSERT INTO raw_app.dq_probe VALUES (1, 'LUMA_V1', 5), (2, 'KLING_V2', 0)")
    yield "raw_app.dq_probe"
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("DROP TABLE raw_app.dq_probe")


def _suite(tmp_path: Path):
    path = tmp_path / "raw_app__dq_probe.yml"
    path.write_text(SUITE)
    return parse_suite(path)


def test_clean_data_passes_and_is_recorded(probe_table, tmp_path):
    run_id = f"test-{uuid.uuid4()}"
    result = run_suite(_suite(tmp_path), role_url("transformer"), run_id)
    assert result.success and not result.blocking_failures
    with connect(role_url("transformer")) as conn:
        rows = conn.execute("SELECT expectation, success FROM ops.dq_results WHERE run_id = %s", (run_id,)).fetchall()
    assert len(rows) == 3 and all(success for _, success in rows)
    assert result.data_docs_url and Path(result.data_docs_url.removeprefix("file://")).exists()


def test_bad_rows_fail_the_right_expectations(probe_table, tmp_path):
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("INSERT INTO raw_app.dq_probe VALUES (NULL, 'SORA_X', -3)")
    run_id = f"test-{uuid.uuid4()}"
    result = run_suite(_suite(tmp_path), role_url("transformer"), run_id)
    failed = {o.spec.label for o in result.outcomes if not o.success}
    assert failed == {"column_values_to_not_be_null(id)", "column_values_to_be_in_set(provider)",
                      "credits are never negative"}
    assert {o.spec.label for o in result.blocking_failures} == {
        "column_values_to_not_be_null(id)", "column_values_to_be_in_set(provider)"}
    assert [o.spec.label for o in result.warnings] == ["credits are never negative"]
    with connect(role_url("transformer")) as conn:
        recorded = conn.execute(
            "SELECT count(*) FILTER (WHERE NOT success) FROM ops.dq_results WHERE run_id = %s", (run_id,)
        ).fetchone()[0]
    assert recorded == 3


def test_malformed_suite_file_names_the_file(tmp_path):
    (tmp_path / "broken.yml").write_text("table: nodot\nexpectations: []\n")
    with pytest.raises(SuiteFileError, match="broken.yml"):
        load_suites(tmp_path)


def test_shipped_suites_parse():
    suites = load_suites()
    assert "raw_app.videos" in suites and "raw_app.credit_transactions" in suites
    for suite in suites.values():
        assert suite.expectations, f"{suite.name} declares no expectations"


def test_the_data_docs_index_lists_only_the_newest_results(probe_table, tmp_path):
    """Every suite's Data Docs update reads each result its index lists, so the index is capped (else each run
    gets slower as the validation history grows); the newest results are the ones listed."""
    import re

    from expectations.runner import DOCS_INDEX_RESULTS, _gx_context, _limit_docs_index
    from reelhouse.config import get_settings

    url = role_url("transformer")
    suite = _suite(tmp_path)
    run_suite(suite, url, f"test-{uuid.uuid4()}")  # the project exists, with the default cap
    _, context = _gx_context(get_settings().home / "gx", url)
    assert context.variables.data_docs_sites["local_site"]["site_index_builder"]["validation_results_limit"] == \
        DOCS_INDEX_RESULTS
    _limit_docs_index(context, limit=3)
    try:
        runs = [f"capped-{uuid.uuid4()}" for _ in range(5)]
        for run_id in runs:
            result = run_suite(suite, url, run_id)
        index = Path(result.data_docs_url.removeprefix("file://")).read_text()
    finally:
        _limit_docs_index(context)
    listed = set(re.findall(r'validations/[^"\\]+?\.html', index))  # validations/<suite>/<run>/<run time>/<batch>
    stored = get_settings().home / "gx" / "gx" / "uncommitted" / "validations"
    every_run_time = sorted(result_file.parent.name for result_file in stored.rglob("*.json"))
    assert len(every_run_time) >= 6
    assert sorted(link.split("/")[-2] for link in listed) == every_run_time[-3:], listed
