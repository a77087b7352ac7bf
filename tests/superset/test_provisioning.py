"""Superset provisioned from semantic/: every chart answers, applying is idempotent, code removals and mart
renames reach Superset, creators see only their rows, and the connection cannot read raw data."""

from __future__ import annotations

import psycopg
import pytest

from semantic.superset.assets import asset_uuid, load_dashboards

pytestmark = pytest.mark.slow

# Before any load quarantines a row or any check runs, these marts are empty: their charts must answer with the
# mart's (zero) rows.
MAY_BE_EMPTY = {"data_health_quarantine_daily", "data_health_checks"}


def _counts(client) -> dict[str, int]:
    return {
        "charts": sum(c["is_managed_externally"] for c in client.list_all("chart", ["id", "is_managed_externally"])),
        "dashboards": len(client.list_all("dashboard", ["id"])),
        "datasets": len(client.list_all("dataset", ["id"])),
        "rls": len(client.list_all("rowlevelsecurity", ["id"])),
    }


def test_every_dashboard_and_chart_in_code_exists_with_its_slug(superset, managed_charts):
    client = superset["client"]
    specs = load_dashboards()
    slugs = {row["slug"] for row in client.list_all("dashboard", ["slug"])}
    assert {spec.slug for spec in specs} <= slugs
    in_code = {asset_uuid("chart", chart.key) for spec in specs for chart in spec.charts}
    assert {chart["uuid"] for chart in managed_charts} == in_code


def test_every_chart_returns_rows_through_the_chart_data_api(superset, managed_charts):
    client = superset["client"]
    by_key = {asset_uuid("chart", chart.key): chart for spec in load_dashboards() for chart in spec.charts}
    problems = []
    with psycopg.connect(superset["analyst_url"]) as conn:
        for chart in managed_charts:
            spec = by_key[chart["uuid"]]
            answer = client.get(f"/api/v1/chart/{chart['id']}/data/")
            result = answer["result"][0]
            if result.get("error") or result.get("status") != "success":
                problems.append(f"{spec.key}: {result.get('error') or result.get('status')}")
            elif spec.dataset in MAY_BE_EMPTY:
                expected = conn.execute(f"SELECT count(*) > 0 FROM marts.{spec.dataset}").fetchone()[0]
                if bool(result["rowcount"]) != expected:
                    problems.append(f"{spec.key}: {result['rowcount']} rows, the mart has rows: {expected}")
            elif not result["rowcount"]:
                problems.append(f"{spec.key}: no rows")
    assert not problems, problems


def test_applying_twice_changes_nothing(superset):
    from semantic.superset import apply

    client = superset["client"]
    before = _counts(client)
    again = apply(client, superset["analyst_url"])
    assert _counts(client) == before
    assert again.deleted == [] and again.renamed == []
    assert (again.charts, again.dashboards, again.datasets) == (
        superset["result"].charts, superset["result"].dashboards, superset["result"].datasets)


def test_a_chart_removed_from_code_is_removed_from_superset(superset, monkeypatch):
    import semantic.superset.assets as assets
    import semantic.superset.provision as provision
    from semantic.superset import apply

    client = superset["client"]
    full = load_dashboards()
    dropped = full[0].charts[-1]
    trimmed = tuple(
        type(spec)(**{**spec.__dict__, "charts": tuple(c for c in spec.charts if c.key != dropped.key)})
        for spec in full)
    for module in (assets, provision):
        monkeypatch.setattr(module, "load_dashboards", lambda trimmed=trimmed: trimmed)
    result = apply(client, superset["analyst_url"])
    assert f"chart {dropped.title}" in result.deleted
    uuids = {chart["uuid"] for chart in client.list_all("chart", ["uuid"])}
    assert asset_uuid("chart", dropped.key) not in uuids
    monkeypatch.undo()
    apply(client, superset["analyst_url"])  # back as the code has it
    assert asset_uuid("chart", dropped.key) in {chart["uuid"] for chart in client.list_all("chart", ["uuid"])}


def test_a_dataset_pointing_at_an_old_table_name_is_moved_to_the_mart(superset):
    """The importer may keep an existing dataset's table; the explicit fix moves it, and apply ends right."""
    from semantic.superset import apply
    from semantic.superset.provision import fix_renamed_datasets, read_marts

    client = superset["client"]
    dataset = next(row for row in client.list_all("dataset", ["id", "uuid", "table_name"])
                   if row["uuid"] == asset_uuid("dataset", "mrr_daily"))
    client.put(f"/api/v1/dataset/{dataset['id']}", {"table_name": "mrr_daily_old_name"})
    moved = fix_renamed_datasets(client, read_marts(superset["analyst_url"]))
    assert moved == ["marts.mrr_daily_old_name -> marts.mrr_daily"]
    assert client.get(f"/api/v1/dataset/{dataset['id']}")["result"]["table_name"] == "mrr_daily"

    client.put(f"/api/v1/dataset/{dataset['id']}", {"table_name": "mrr_daily_old_name"})
    apply(client, superset["analyst_url"])
    assert client.get(f"/api/v1/dataset/{dataset['id']}")["result"]["table_name"] == "mrr_daily"


def test_a_creator_sees_only_their_own_rows_and_boards(superset, managed_charts):
    from semantic.superset import SupersetClient, SupersetError
    from semantic.superset.provision import ensure_creator_login, read_marts

    client = superset["client"]
    with psycopg.connect(superset["analyst_url"]) as conn:
        creators = [row[0] for row in conn.execute(
            "SELECT creator_id FROM marts.creator_overview ORDER BY students_total DESC LIMIT 2")]
    assert len(creators) == 2
    mine, other = creators
    ensure_creator_login(client, read_marts(superset["analyst_url"]), mine, "creator_test", "creator-pw-123",
                         "creator_test@example.com")
    creator = SupersetClient(superset["settings"].superset.url, "creator_test", "creator-pw-123")

    visible = {row["slug"] for row in creator.list_all("dashboard", ["slug"])}
    assert visible == {spec.slug for spec in load_dashboards() if spec.creator_facing}

    creator_keys = {asset_uuid("chart", c.key) for spec in load_dashboards() if spec.creator_facing
                    for c in spec.charts}
    seen_creator_ids: set[int] = set()
    for chart in managed_charts:
        if chart["uuid"] in creator_keys:
            rows = creator.get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]["data"]
            seen_creator_ids |= {row["creator_id"] for row in rows if "creator_id" in row}
            admin_rows = client.get(f"/api/v1/chart/{chart['id']}/data/")["result"][0]["data"]
            assert len(rows) <= len(admin_rows)
    assert seen_creator_ids == {mine}, f"creator {mine} saw rows of {seen_creator_ids - {mine}}"
    overview = next(c for c in managed_charts if c["uuid"] == asset_uuid("chart", "creator_overview"))
    admin_ids = {row["creator_id"] for row in client.get(f"/api/v1/chart/{overview['id']}/data/")["result"][0]["data"]}
    assert other in admin_ids  # the admin does see the other creator: the filter is the creator's, not the data's

    admin_only = next(c for c in managed_charts if c["uuid"] == asset_uuid("chart", "overview_net_revenue"))
    with pytest.raises(SupersetError, match="answered 40[34]"):
        creator.get(f"/api/v1/chart/{admin_only['id']}/data/")


def test_the_superset_connection_is_the_read_only_analyst(superset):
    from semantic.superset import SupersetError

    client = superset["client"]
    database = next(row for row in client.list_all("database", ["id", "database_name"])
                    if row["database_name"] == "Reelhouse marts")
    marts = client.post("/api/v1/sqllab/execute/", {
        "database_id": database["id"], "sql": "SELECT count(*) AS n FROM marts.mrr_daily", "runAsync": False,
        "schema": "marts"})
    assert marts["data"][0]["n"] > 0
    for statement in ("SELECT * FROM raw_app.users LIMIT 1", "SELECT * FROM staging.stg_app__users LIMIT 1"):
        with pytest.raises(SupersetError, match="permission denied"):
            client.post("/api/v1/sqllab/execute/", {"database_id": database["id"], "sql": statement,
                                                    "runAsync": False, "schema": "marts"})
