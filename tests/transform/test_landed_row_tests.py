"""Hourly row tests read the rows written since the last published build, and still catch a bad row among them
(dbt_project/macros/tests/get_where_subquery.sql, orchestration/lib/audited_rows.py): on staging views the rows landed
since, on incremental models the rows their builds wrote since (`built_at`).

A scratch warehouse gets a small app world; then rows that break `unique` and `accepted_values` on
stg_app__messages are written straight into raw (its key dropped so duplicates can exist): one of each landed long
ago, before the last published build, and one of each landed just now. Scoped to what landed since, the tests
find only the new ones (a new row duplicating an old key included); unscoped they find all of them. The same with
rows that break `unique` and `not_null` on the fct_prompts fact, written by a build long ago and just now, and with
rows that break the grain test `unique_combination_of_columns` (user_id, valid_from) of fct_user_engagement_spells.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from demo.app_world import generate_app_world
from ingestion.app_db import load_app_tables
from orchestration.lib.audited_rows import LANDED_SINCE_ENV
from reelhouse.warehouse import connect

AS_OF = datetime(2026, 10, 20, tzinfo=UTC)
TESTS = "unique_stg_app__messages_message_id accepted_values_stg_app__messages_role__user__assistant"
FACT_TESTS = "unique_fct_prompts_message_id not_null_fct_prompts_user_id"
GRAIN_TEST = "unique_combination_of_columns_fct_user_engagement_spells_user_id__valid_from"


def _test_failures(run_dbt, transformer_url: str, landed_since: datetime | None, tests: str = TESTS) -> dict[str, int]:
    """`dbt test` of the tests, scoped to rows landed since `landed_since` (None: every row); failures per test."""
    scope = {LANDED_SINCE_ENV: landed_since.isoformat() if landed_since else ""}  # "" reads every row
    output = run_dbt(transformer_url, AS_OF.isoformat(), "test", "-s", *tests.split(), env=scope, check=False)
    found = re.findall(r"Failure in test (\w+).*?Got (\d+) results?", output, flags=re.S)
    return {name: int(count) for name, count in found}


def _built(fresh_database, scratch_warehouse, run_dbt, name: str, selection: str) -> dict[str, str]:
    """A scratch warehouse with a small app world loaded and `selection` built; its role URLs."""
    source = fresh_database(f"{name}_app")
    warehouse = scratch_warehouse(f"{name}_warehouse")
    generate_app_world(source, users=40, days=10, seed=5, as_of=AS_OF)
    load_app_tables(source, warehouse["loader"])
    run_dbt(warehouse["transformer"], AS_OF.isoformat(), "run", "-s", selection)
    return warehouse


def test_row_tests_read_only_rows_landed_since_and_still_catch_them(fresh_database, scratch_warehouse, run_dbt):
    warehouse = _built(fresh_database, scratch_warehouse, run_dbt, "landed_rows", "+stg_app__messages")
    assert _test_failures(run_dbt, warehouse["transformer"], None) == {}

    published_run_started = datetime.now(UTC) - timedelta(minutes=5)
    long_ago = published_run_started - timedelta(days=2)  # well before the run and its one-hour lookback
    with connect(warehouse["owner"], autocommit=True) as conn:
        conn.execute("ALTER TABLE raw_app.messages DROP CONSTRAINT messages_pkey")
        old, new = conn.execute("SELECT id FROM raw_app.messages ORDER BY id LIMIT 2").fetchall()
        for key, role, landed in ((old[0], "narrator", long_ago), (new[0], "critic", datetime.now(UTC))):
            # the copy of an existing row under the same key and a role outside the accepted values, landed then
            conn.execute("INSERT INTO raw_app.messages SELECT * FROM raw_app.messages WHERE id = %s", (key,))
            conn.execute("UPDATE raw_app.messages SET role = %s, _loaded_at = %s WHERE ctid = "
                         "(SELECT max(ctid) FROM raw_app.messages WHERE id = %s)", (role, landed, key))
        conn.execute("UPDATE raw_app.messages SET _loaded_at = %s WHERE id = %s AND role != 'narrator'",
                     (long_ago, old[0]))  # the original of the old pair landed long ago too

    scoped = _test_failures(run_dbt, warehouse["transformer"], published_run_started)
    everything = _test_failures(run_dbt, warehouse["transformer"], None)
    unique, accepted = TESTS.split()
    # unscoped: both duplicated keys, both unknown roles
    assert everything == {unique: 2, accepted: 2}, everything
    # scoped: only the key a row landed since shares (its older twin is read too), only the role landed since
    assert scoped == {unique: 1, accepted: 1}, scoped


def test_row_tests_on_an_incremental_fact_read_the_rows_written_since(fresh_database, scratch_warehouse, run_dbt):
    warehouse = _built(fresh_database, scratch_warehouse, run_dbt, "written_rows", "+fct_prompts")
    assert _test_failures(run_dbt, warehouse["transformer"], None, FACT_TESTS) == {}

    published_run_started = datetime.now(UTC) - timedelta(minutes=5)
    long_ago = published_run_started - timedelta(days=2)
    with connect(warehouse["owner"], autocommit=True) as conn:
        (schema,) = conn.execute("SELECT table_schema FROM information_schema.tables"
                                 " WHERE table_name = 'fct_prompts' AND table_type = 'BASE TABLE'").fetchone()
        fact = f"{schema}.fct_prompts"
        conn.execute(f"UPDATE {fact} SET built_at = %s", (long_ago,))  # every row: written by a build long ago
        old, new = conn.execute(f"SELECT message_id FROM {fact} ORDER BY message_id LIMIT 2").fetchall()
        for key, built in ((old[0], long_ago), (new[0], datetime.now(UTC))):
            # a second row under an existing key, without its user, written by a build then
            conn.execute(f"INSERT INTO {fact} SELECT * FROM {fact} WHERE message_id = %s", (key,))
            conn.execute(f"UPDATE {fact} SET user_id = NULL, built_at = %s WHERE ctid = "
                         f"(SELECT max(ctid) FROM {fact} WHERE message_id = %s)", (built, key))

    scoped = _test_failures(run_dbt, warehouse["transformer"], published_run_started, FACT_TESTS)
    everything = _test_failures(run_dbt, warehouse["transformer"], None, FACT_TESTS)
    unique, not_null = FACT_TESTS.split()
    assert everything == {unique: 2, not_null: 2}, everything
    assert scoped == {unique: 1, not_null: 1}, scoped


def test_a_grain_test_on_an_incremental_fact_reads_the_rows_sharing_a_key_written_since(fresh_database,
                                                                                         scratch_warehouse, run_dbt):
    warehouse = _built(fresh_database, scratch_warehouse, run_dbt, "grain_rows", "+fct_user_engagement_spells")
    assert _test_failures(run_dbt, warehouse["transformer"], None, GRAIN_TEST) == {}

    published_run_started = datetime.now(UTC) - timedelta(minutes=5)
    long_ago = published_run_started - timedelta(days=2)
    with connect(warehouse["owner"], autocommit=True) as conn:
        (schema,) = conn.execute("SELECT table_schema FROM information_schema.tables"
                                 " WHERE table_name = 'fct_user_engagement_spells' AND table_type = 'BASE TABLE'"
                                 ).fetchone()  # its versioned table, in marts_store: the model is a view over it
        fact = f"{schema}.fct_user_engagement_spells"
        for (index,) in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s AND tablename ="
                                     " 'fct_user_engagement_spells' AND indexdef LIKE 'CREATE UNIQUE%%'", (schema,)):
            conn.execute(f'DROP INDEX {schema}."{index}"')  # the grain's unique index would refuse the duplicates
        conn.execute(f"UPDATE {fact} SET built_at = %s", (long_ago,))  # every row: written by a build long ago
        old, new = conn.execute(f"SELECT user_id, valid_from FROM {fact}"
                                " ORDER BY user_id, valid_from LIMIT 2").fetchall()
        for (user_id, day), built in ((old, long_ago), (new, datetime.now(UTC))):
            # a second row for an existing (user, valid_from), written by a build then
            conn.execute(f"INSERT INTO {fact} SELECT * FROM {fact} WHERE user_id = %s AND valid_from = %s",
                         (user_id, day))
            conn.execute(f"UPDATE {fact} SET built_at = %s WHERE ctid = (SELECT max(ctid) FROM {fact}"
                         " WHERE user_id = %s AND valid_from = %s)", (built, user_id, day))

    scoped = _test_failures(run_dbt, warehouse["transformer"], published_run_started, GRAIN_TEST)
    everything = _test_failures(run_dbt, warehouse["transformer"], None, GRAIN_TEST)
    assert everything == {GRAIN_TEST: 2}, everything  # both duplicated (user, valid_from) pairs
    assert scoped == {GRAIN_TEST: 1}, scoped  # only the pair a row written since has (its older twin read too)
