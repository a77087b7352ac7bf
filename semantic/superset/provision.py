"""Apply semantic/ to a running Superset: import the bundle, remove what code no longer has, fix renamed
datasets, and set up the Creator role with row-level security on creator_id.

Superset's import merges: it never deletes charts, dashboards or datasets that left the code, and it does
not move an existing dataset to a new table or schema, so both are done here with explicit API calls.
Everything this module creates is marked as managed (charts and dashboards: is_managed_externally;
datasets: extra.managed_by), and only marked objects are ever deleted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import psycopg

from semantic.superset.assets import (
    DATABASE_NAME,
    MARTS_SCHEMA,
    Column,
    Mart,
    asset_uuid,
    build_bundle,
    database_file_name,
    load_dashboards,
    zip_bundle,
)
from semantic.superset.charts import Clock
from semantic.superset.client import SupersetClient

CREATOR_ROLE = "Creator"
CREATOR_COLUMN = "creator_id"
MANAGED_MARK = "reelhouse semantic/"


@dataclass
class ProvisionResult:
    datasets: int = 0
    charts: int = 0
    dashboards: int = 0
    deleted: list[str] = field(default_factory=list)
    renamed: list[str] = field(default_factory=list)


def read_marts(analyst_url: str) -> dict[str, Mart]:
    """The marts schema as the analyst sees it, with the descriptions dbt persisted as comments."""
    with psycopg.connect(analyst_url) as conn:
        rows = conn.execute(
            """
            SELECT c.relname, obj_description(c.oid, 'pg_class'), a.attname,
                   format_type(a.atttypid, NULL), col_description(c.oid, a.attnum)
            FROM pg_class c
            JOIN pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = %s AND c.relkind IN ('r', 'v', 'm', 'p')
              AND has_table_privilege(c.oid, 'SELECT')
            ORDER BY c.relname, a.attnum
            """, (MARTS_SCHEMA,)).fetchall()
    columns: dict[str, list[Column]] = {}
    descriptions: dict[str, str | None] = {}
    for table, table_description, column, data_type, column_description in rows:
        columns.setdefault(table, []).append(Column(column, data_type, column_description))
        descriptions[table] = table_description
    return {name: Mart(name, descriptions[name], tuple(cols)) for name, cols in columns.items()}


def reporting_clock(analyst_url: str) -> Clock:
    """'Now' as the published marts have it: their reporting date (the last day of marts.dim_dates, the day
    REELHOUSE_AS_OF or the build's wall clock fell in) and the first day with activity. The boards' complete
    periods and default windows count from here, never from Superset's or the database's own clock."""
    with psycopg.connect(analyst_url) as conn:
        today = conn.execute(f"SELECT max(date_day) FROM {MARTS_SCHEMA}.dim_dates").fetchone()[0]  # noqa: S608
        first = conn.execute(f"SELECT min(date_day) FROM {MARTS_SCHEMA}.active_users_daily"  # noqa: S608
                             " WHERE dau > 0").fetchone()[0]
    if today is None:
        raise ValueError(f"{MARTS_SCHEMA}.dim_dates is empty: build and publish the marts before the dashboards")
    return Clock(today, first)


def import_assets(client: SupersetClient, marts: dict[str, Mart], analyst_url: str,
                  clock: Clock | None = None) -> dict[str, str]:
    """Import (overwrite) every database, dataset, chart and dashboard in code; returns the bundle files."""
    from sqlalchemy.engine import make_url

    url = make_url(analyst_url).set(drivername="postgresql+psycopg2")
    masked = url.set(password="XXXXXXXXXX").render_as_string(hide_password=False)
    files = build_bundle(marts, masked, clock or reporting_clock(analyst_url))
    client.post("/api/v1/assets/import/",
                files={"bundle": ("reelhouse_assets.zip", zip_bundle(files), "application/zip")},
                data={"passwords": json.dumps({database_file_name(): url.password or ""}), "overwrite": "true"})
    return files


def prune(client: SupersetClient, files: dict[str, str], marts: dict[str, Mart]) -> list[str]:
    """Delete managed charts, dashboards and datasets that are no longer in code."""
    keep_charts = {asset_uuid("chart", chart.key) for dashboard in load_dashboards() for chart in dashboard.charts}
    keep_dashboards = {dashboard.uuid for dashboard in load_dashboards()}
    keep_datasets = {mart.uuid for mart in marts.values()}
    deleted: list[str] = []
    for dashboard in client.list_all("dashboard", ["id", "uuid", "dashboard_title", "is_managed_externally"]):
        if dashboard.get("is_managed_externally") and dashboard["uuid"] not in keep_dashboards:
            client.delete(f"/api/v1/dashboard/{dashboard['id']}")
            deleted.append(f"dashboard {dashboard['dashboard_title']}")
    for chart in client.list_all("chart", ["id", "uuid", "slice_name", "is_managed_externally"]):
        if chart.get("is_managed_externally") and chart["uuid"] not in keep_charts:
            client.delete(f"/api/v1/chart/{chart['id']}")
            deleted.append(f"chart {chart['slice_name']}")
    for dataset in _managed_datasets(client):
        if dataset["uuid"] not in keep_datasets:
            client.delete(f"/api/v1/dataset/{dataset['id']}")
            deleted.append(f"dataset {dataset['table_name']}")
    return deleted


def _managed_datasets(client: SupersetClient) -> list[dict]:
    rows = client.list_all("dataset", ["id", "uuid", "table_name", "schema", "extra"])
    managed = []
    for row in rows:
        extra = row.get("extra")
        extra = json.loads(extra) if isinstance(extra, str) and extra else (extra or {})
        if extra.get("managed_by") == MANAGED_MARK:
            managed.append(row)
    return managed


def fix_renamed_datasets(client: SupersetClient, marts: dict[str, Mart]) -> list[str]:
    """The importer keeps an existing dataset's table and schema; move those whose mart was renamed."""
    by_uuid = {mart.uuid: mart for mart in marts.values()}
    renamed = []
    for dataset in _managed_datasets(client):
        mart = by_uuid.get(dataset["uuid"])
        if mart and (dataset["table_name"], dataset["schema"]) != (mart.name, MARTS_SCHEMA):
            client.put(f"/api/v1/dataset/{dataset['id']}?override_columns=true",
                       {"table_name": mart.name, "schema": MARTS_SCHEMA})
            renamed.append(f"{dataset['schema']}.{dataset['table_name']} -> {MARTS_SCHEMA}.{mart.name}")
    return renamed


def apply(client: SupersetClient, analyst_url: str, clock: Clock | None = None) -> ProvisionResult:
    """Make Superset match the code; running it twice changes nothing the second time (on the same reporting
    date). `clock` pins "now" (tests); by default it is the marts' own (reporting_clock)."""
    marts = read_marts(analyst_url)
    files = import_assets(client, marts, analyst_url, clock)
    result = ProvisionResult(
        datasets=sum(name.startswith("datasets/") for name in files),
        charts=sum(name.startswith("charts/") for name in files),
        dashboards=sum(name.startswith("dashboards/") for name in files),
    )
    result.renamed = fix_renamed_datasets(client, marts)
    result.deleted = prune(client, files, marts)
    ensure_creator_role(client, marts)
    restrict_dashboards(client)
    return result


def restrict_dashboards(client: SupersetClient) -> None:
    """Dashboard access by role (DASHBOARD_RBAC): creators open only creator-facing boards, the rest is for
    Admin and Alpha. Without this, Superset would show any board that has one chart a role can read."""
    staff = [_role_id(client, "Admin"), _role_id(client, "Alpha")]
    creators = [_role_id(client, CREATOR_ROLE)]
    slugs = {dashboard.slug: dashboard for dashboard in load_dashboards()}
    for row in client.list_all("dashboard", ["id", "slug"]):
        dashboard = slugs.get(row["slug"])
        if dashboard is not None:
            client.put(f"/api/v1/dashboard/{row['id']}", {"roles": creators if dashboard.creator_facing else staff})


# --- creators: a Creator role that can read the creator datasets, and one RLS role per creator -------------

def _role_id(client: SupersetClient, name: str) -> int:
    roles = client.list_all("security/roles", ["id", "name"])
    for role in roles:
        if role["name"] == name:
            return role["id"]
    return client.post("/api/v1/security/roles/", {"name": name})["id"]


def creator_datasets(client: SupersetClient, marts: dict[str, Mart]) -> dict[str, int]:
    """Managed datasets whose mart has a creator_id column: the ones row-level security must cover."""
    with_creator = {name for name, mart in marts.items() if any(c.name == CREATOR_COLUMN for c in mart.columns)}
    return {row["table_name"]: row["id"] for row in _managed_datasets(client) if row["table_name"] in with_creator}


def ensure_creator_role(client: SupersetClient, marts: dict[str, Mart]) -> int:
    """The Creator role reads the datasets of the creator-facing dashboards (rows limited per creator)."""
    role_id = _role_id(client, CREATOR_ROLE)
    tables = {chart.dataset for dashboard in load_dashboards() if dashboard.creator_facing
              for chart in dashboard.charts}
    dataset_ids = {row["table_name"]: row["id"] for row in _managed_datasets(client) if row["table_name"] in tables}
    uncovered = tables - set(creator_datasets(client, marts))
    if uncovered:
        raise ValueError(f"creator dashboards use marts without {CREATOR_COLUMN}: {sorted(uncovered)}")
    wanted = {f"[{DATABASE_NAME}].[{table}](id:{dataset_id})" for table, dataset_id in dataset_ids.items()}
    permission_ids = [row["id"] for row in client.list_all(
        "security/permissions-resources", ["id", "permission.name", "view_menu.name"])
        if row["permission"]["name"] == "datasource_access" and row["view_menu"]["name"] in wanted]
    if len(permission_ids) != len(wanted):
        raise ValueError(f"Superset has {len(permission_ids)} of the {len(wanted)} dataset permissions the "
                         "Creator role needs; run `superset init`")
    client.post(f"/api/v1/security/roles/{role_id}/permissions", {"permission_view_menu_ids": permission_ids})
    return role_id


def ensure_creator_login(client: SupersetClient, marts: dict[str, Mart], creator_id: int, username: str,
                         password: str, email: str) -> None:
    """A login that sees only creator `creator_id`'s rows: Gamma + Creator + an RLS role of its own."""
    if not isinstance(creator_id, int):
        raise ValueError("creator_id must be an integer")
    rls_role = f"Creator {creator_id}"
    rls_role_id = _role_id(client, rls_role)
    tables = list(creator_datasets(client, marts).values())
    rule = {"name": f"creator {creator_id} rows", "filter_type": "Regular", "tables": tables,
            "roles": [rls_role_id], "group_key": CREATOR_COLUMN, "clause": f"{CREATOR_COLUMN} = {creator_id}",
            "description": "Managed by reelhouse semantic/: a creator sees only their own rows."}
    existing = [row for row in client.list_all("rowlevelsecurity", ["id", "name"]) if row["name"] == rule["name"]]
    if existing:
        client.put(f"/api/v1/rowlevelsecurity/{existing[0]['id']}", rule)
    else:
        client.post("/api/v1/rowlevelsecurity/", rule)
    roles = [_role_id(client, "Gamma"), _role_id(client, CREATOR_ROLE), rls_role_id]
    user = {"first_name": "Creator", "last_name": str(creator_id), "username": username, "email": email,
            "active": True, "roles": roles, "password": password}
    users = [row for row in client.list_all("security/users", ["id", "username"]) if row["username"] == username]
    if users:
        client.put(f"/api/v1/security/users/{users[0]['id']}", user)
    else:
        client.post("/api/v1/security/users/", user)


def demo_creator_login(client: SupersetClient, analyst_url: str, password: str) -> tuple[str, int] | None:
    """Demo mode: a login for the creator with the most students, so people can see RLS at work."""
    with psycopg.connect(analyst_url) as conn:
        row = conn.execute(f"SELECT creator_id FROM {MARTS_SCHEMA}.creator_overview"  # noqa: S608
                           " ORDER BY students_total DESC, creator_id LIMIT 1").fetchone()
    if row is None:
        return None
    creator_id = int(row[0])
    username = f"creator{creator_id}"
    ensure_creator_login(client, read_marts(analyst_url), creator_id, username, password,
                         f"{username}@reelhouse.local")
    return username, creator_id
