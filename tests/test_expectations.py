"""Great Expectations suites as code: parsed from YAML, run for real against PostgreSQL, recorded in ops."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from expectations.runner import run_suite
from expectations.suite import ExpectationSpec, SuiteFileError, load_suites, parse_suite
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


LANDED_SUITE = """
table: raw_app.dq_landed_probe
blocking: true
expectations:
  - expect: table_row_count_to_be_between
    min_value: 1
  - expect: column_values_to_be_unique
    column: id
  - expect: column_values_to_be_in_set
    column: provider
    value_set: [LUMA_V1, KLING_V2]
  - expect: unexpected_rows
    description: credits are never negative
    query: SELECT id FROM {batch} WHERE credits < 0
  - expect: unexpected_rows
    description: a provider's credits stay under a thousand in all
    query: SELECT provider FROM {batch} GROUP BY provider HAVING sum(credits) >= 1000
    scope: table
  - expect: column_values_to_be_in_set
    column: provider
    value_set: [LUMA_V1]
    blocking: false
"""


@pytest.fixture()
def landed_probe(warehouse, tmp_path):
    """A raw table whose rows landed two days ago (an audited past, holding a bad provider) and just now."""
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("DROP TABLE IF EXISTS raw_app.dq_landed_probe")
        conn.execute("CREATE TABLE raw_app.dq_landed_probe (id bigint, provider text, credits int,"
                     " _loaded_at timestamptz NOT NULL)")
        conn.execute("INSERT INTO raw_app.dq_landed_probe VALUES (1, 'LUMA_V1', 5, now() - interval '2 days'),"
                     " (2, 'SORA_X', -1, now() - interval '2 days'), (3, 'KLING_V2', 900, now())")
    path = tmp_path / "raw_app__dq_landed_probe.yml"
    path.write_text(LANDED_SUITE)
    yield parse_suite(path)
    with connect(role_url("loader"), autocommit=True) as conn:
        conn.execute("DROP TABLE raw_app.dq_landed_probe")


def test_which_expectations_a_landed_rows_run_narrows(landed_probe):
    assert landed_probe.key == "id"
    narrowed = {spec.label: spec.reads_landed_rows(landed_probe.key) for spec in landed_probe.expectations}
    assert narrowed == {
        "table_row_count_to_be_between": False,  # about the table, not a row
        "column_values_to_be_unique(id)": True,  # the key: the batch holds every row sharing a landed key
        "column_values_to_be_in_set(provider)": False,  # the blocking one is narrowed, the warning is not (below)
        "credits are never negative": True,
        "a provider's credits stay under a thousand in all": False,  # scope: table
    }
    blocking, warning = (s for s in landed_probe.expectations if s.expect == "column_values_to_be_in_set")
    assert blocking.reads_landed_rows("id") and not warning.reads_landed_rows("id")
    unique_elsewhere = ExpectationSpec("column_values_to_be_unique", {"column": "email"}, blocking=True)
    assert not unique_elsewhere.reads_landed_rows("id")  # uniqueness of another column needs every row
    mostly = ExpectationSpec("column_values_to_not_be_null", {"column": "id", "mostly": 0.9}, blocking=True)
    assert not mostly.reads_landed_rows("id")  # a share of all rows


def test_a_landed_rows_run_checks_new_rows_and_their_keys_and_the_table_as_a_whole(landed_probe):
    from datetime import UTC, datetime, timedelta

    since = datetime.now(UTC) - timedelta(hours=1)
    url = role_url("transformer")

    def failures(landed_since):
        result = run_suite(landed_probe, url, f"test-{uuid.uuid4()}", landed_since=landed_since)
        assert result.landed_since == landed_since
        return result, {(o.spec.label, o.spec.blocking) for o in result.outcomes if not o.success}

    everything, failed = failures(None)
    assert failed == {("column_values_to_be_in_set(provider)", True), ("credits are never negative", True),
                      ("column_values_to_be_in_set(provider)", False)}

    landed, failed = failures(since)  # the bad row landed two days ago: only the warning, which reads it all, sees it
    assert failed == {("column_values_to_be_in_set(provider)", False)}
    row_count = next(o for o in landed.outcomes if o.spec.expect == "table_row_count_to_be_between")
    assert row_count.observed_value == 3  # the whole table, not the landed rows
    assert [o.spec for o in landed.outcomes] == landed_probe.expectations  # every outcome, in the file's order

    with connect(role_url("loader"), autocommit=True) as conn:  # a new row duplicating an old key, and another bad
        conn.execute("INSERT INTO raw_app.dq_landed_probe VALUES (1, 'KLING_V2', 150, now()),"
                     " (4, 'VEO_X', 200, now())")
    _, failed = failures(since)
    assert failed == {("column_values_to_be_unique(id)", True), ("column_values_to_be_in_set(provider)", True),
                      ("a provider's credits stay under a thousand in all", True),
                      ("column_values_to_be_in_set(provider)", False)}


def test_the_landed_rows_query_looks_keys_up_in_an_index_only_where_one_exists(landed_probe):
    """`= any(array(...))` on an unindexed key compares every row with every landed key (quadratic after a big
    reload); without an index the query hashes the keys instead. Both forms read the same rows."""
    from datetime import UTC, datetime, timedelta

    from expectations.runner import _landed_rows_query, _leads_an_index

    since = datetime.now(UTC) - timedelta(hours=1)
    url = role_url("loader")
    with connect(url, autocommit=True) as conn:
        conn.execute("INSERT INTO raw_app.dq_landed_probe VALUES (1, 'KLING_V2', 150, now())")  # repeats an old key

        def rows_read() -> tuple[str, list]:
            query = _landed_rows_query("raw_app", "dq_landed_probe", "id", since,
                                       key_indexed=_leads_an_index(url, "raw_app", "dq_landed_probe", "id"))
            return query, sorted(conn.execute(query).fetchall())

        hashed, unindexed_rows = rows_read()
        conn.execute("CREATE INDEX ON raw_app.dq_landed_probe (id, provider)")
        looked_up, indexed_rows = rows_read()
    assert " in (" in hashed and "any(array" not in hashed
    assert "any(array" in looked_up
    assert [row[:3] for row in indexed_rows] == [(1, "KLING_V2", 150), (1, "LUMA_V1", 5), (3, "KLING_V2", 900)]
    assert indexed_rows == unindexed_rows
    assert not _leads_an_index(url, "raw_app", "dq_landed_probe", "provider")  # second in the index: no lookup


def test_every_check_has_one_home():
    """README "Data quality": grain, nulls, accepted values, relationships and a mart's one-row predicates are dbt
    tests (raw data on its staging model); GX suites hold the raw contract and what reaches outside a mart. A check
    in both tools, or in GX where dbt is its home, fails here (tests/check_homes.py)."""
    from check_homes import columns_by_table, dbt_checks, gx_checks, out_of_home, two_homes

    dbt = dbt_checks()
    gx = gx_checks(known_columns=columns_by_table())
    assert len(dbt) > 500 and len(gx) > 10  # both inventories read
    twice = two_homes(dbt, gx)
    assert not twice, "checked in GX and dbt alike; keep the dbt test:\n" + "\n".join(f"{g}\n  = {d}" for g, d in twice)
    misplaced = out_of_home(gx)
    assert not misplaced, "GX expectations whose home is a dbt test (model YAML):\n" + "\n".join(map(str, misplaced))


DUPLICATING_SUITES = {
    "raw_app__videos.yml": """
table: raw_app.videos
expectations:
  - expect: column_values_to_be_in_set
    column: provider
    value_set: [LUMA_V1, LUMA_V2, KLING_V1, KLING_V2]
  - expect: column_values_to_be_between
    column: credits_used
    min_value: 0
""",
    "marts__mrr_daily.yml": """
table: marts.mrr_daily
expectations:
  - expect: unexpected_rows
    description: movements reconcile
    query: >
      SELECT date_day FROM {batch} WHERE abs(starting_mrr_usd + new_mrr_usd + expansion_mrr_usd
        + reactivation_mrr_usd - contraction_mrr_usd - churned_mrr_usd - mrr_usd) >= 0.005
  - expect: unexpected_rows
    description: never negative
    query: SELECT date_day FROM {batch} WHERE paying_customers < 0
  - expect: unexpected_rows
    description: MRR while Stripe has subscriptions
    query: SELECT 1 FROM {batch} WHERE mrr_usd = 0 AND EXISTS (SELECT 1 FROM raw_stripe.subscriptions)
""",
}


def test_the_one_home_rule_finds_a_check_in_two_tools(tmp_path):
    """Against the real dbt YAML: GX's provider values on raw_app.videos are dbt's accepted_values on
    stg_app__videos.provider, GX's movement reconciliation is dbt's expression test on mrr_daily; a mart row
    predicate without a dbt twin is still out of its home; a raw sign and a check against raw Stripe are GX's."""
    from check_homes import columns_by_table, dbt_checks, gx_checks, out_of_home, two_homes

    for name, text in DUPLICATING_SUITES.items():
        (tmp_path / name).write_text(text)
    gx = gx_checks(tmp_path, known_columns=columns_by_table())
    twice = two_homes(dbt_checks(), gx)
    assert sorted((g.label, d.origin.rsplit(": ", 1)[1], d.kind) for g, d in twice) == [
        ("column_values_to_be_in_set(provider)", "stg_app__videos", "accepted_values"),
        ("movements reconcile", "mrr_daily", "row_predicate"),
    ]
    assert sorted(g.label for g in out_of_home(gx)) == [
        "column_values_to_be_in_set(provider)", "movements reconcile", "never negative"]
