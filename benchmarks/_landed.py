"""What a world's first full ingestion landed, cached beside the world: the next run restores it instead of ingesting.

At scale the full ingestion is most of a full rebuild (1M users: the Stripe SDK paging 1,136 s and the app load
641 s of a 36-minute run), and it says nothing new the second time. After a run's first `full_rebuild`, the
warehouse's raw tables (every table of the `raw_*` schemas) and the ingestion's own state in `ops` (the tables whose
DDL lives in ingestion/: the loaders' cursors, the load audit the freshness check reads, quarantine, the Stripe
slices) are dumped with `pg_dump -Fc -Z 1` into `<world folder>/landed-<fingerprint>/`; a later run at the same size
restores them (`pg_restore -j 2`) into its new warehouse and builds the marts from them with the current dbt project
(marts are never cached). The app and Stripe databases at that moment are the world's own dumps beside it: ingestion
only reads its sources (the demo Stripe server refuses writes).

The fingerprint covers the ingestion code and contracts (every file under ingestion/) and the warehouse's DDL
(reelhouse/warehouse/bootstrap.py): a change there makes a new folder, and the old one is not used.

pg_dump rather than a copy of the stopped server's data folder: the folder would hold the app and Stripe databases
again (already cached as the world) and the marts (which must come from the current project), uncompressed; a
compressed dump of the raw tables is a fraction of their size on disk, and a restore rebuilds their indexes, which
is the cost paid for it (BENCHMARKS.md, "The landed cache", has both measured).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
FINGERPRINTED = ("ingestion", "reelhouse/warehouse/bootstrap.py")  # the ingestion code, contracts and raw DDL
MANIFEST = "landed.json"  # written last: a folder without it is incomplete


def fingerprint(root: Path = REPO_ROOT, parts: tuple[str, ...] = FINGERPRINTED) -> str:
    """A digest of every file (name and bytes) of the ingestion code and contracts and the raw DDL under `root`."""
    digest = hashlib.sha256()
    for part in parts:
        base = root / part
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def ingestion_ops_tables(root: Path = REPO_ROOT) -> list[str]:
    """The ops tables ingestion keeps (their DDL is in ingestion/): what the next run reads to know what landed."""
    found = set()
    for path in (root / "ingestion").rglob("*.py"):
        found |= set(re.findall(r"CREATE TABLE IF NOT EXISTS ops\.(\w+)", path.read_text()))
    return sorted(found)


def landed_folder(world: Path, digest: str) -> Path:
    return world / f"landed-{digest}"


def cached_landing(world: Path, digest: str) -> dict | None:
    """The manifest of the landing cached for this world and this fingerprint, or None (none, incomplete, or made
    by other ingestion code: only a folder of this very fingerprint is read)."""
    manifest = landed_folder(world, digest) / MANIFEST
    if not manifest.exists():
        return None
    data = json.loads(manifest.read_text())
    return data if data.get("fingerprint") == digest else None


@dataclass(frozen=True)
class Landing:
    """A save or a restore of the landed cache."""

    folder: Path
    seconds: float
    dump_bytes: int
    raw_bytes: int  # raw tables + indexes in the warehouse when saved
    saved_at: str
    shifted_hours: float = 0.0  # restore: how far the ops times were moved forward


def _tables() -> list[str]:
    from reelhouse.warehouse.bootstrap import RAW_SCHEMAS

    return [*(f"{schema}.*" for schema in RAW_SCHEMAS), *(f"ops.{table}" for table in ingestion_ops_tables())]


def raw_bytes() -> int:
    from reelhouse.warehouse import admin_url, connect
    from reelhouse.warehouse.bootstrap import RAW_SCHEMAS

    with connect(admin_url()) as conn:
        return int(conn.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c JOIN pg_namespace n"
            " ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname = ANY(%s)",
            (list(RAW_SCHEMAS),)).fetchone()[0])


def save_landing(world: Path, digest: str) -> Landing:
    """Dump the raw tables and ingestion's ops tables into the world's landed folder for this fingerprint."""
    from reelhouse.warehouse import admin_url, libpq_dsn
    from reelhouse.warehouse.embedded import pg_binary

    folder = landed_folder(world, digest)
    started = time.perf_counter()
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    saved_at = datetime.now(UTC).isoformat()
    table_args = [arg for table in _tables() for arg in ("-t", table)]
    subprocess.run([pg_binary("pg_dump"), "-Fc", "-Z", "1", *table_args, "-f", str(folder / "warehouse.dump"),
                    libpq_dsn(admin_url())], check=True, capture_output=True)
    size = raw_bytes()
    seconds = time.perf_counter() - started
    dump_bytes = (folder / "warehouse.dump").stat().st_size
    (folder / MANIFEST).write_text(json.dumps({
        "fingerprint": digest, "saved_at": saved_at, "tables": _tables(), "dump_bytes": dump_bytes,
        "raw_bytes": size, "save_seconds": round(seconds, 1),
        "sources": "the world's app.dump and stripe.dump beside this folder (ingestion only reads its sources)",
    }, indent=1))
    return Landing(folder, seconds, dump_bytes, size, saved_at)


def restore_landing(world: Path, digest: str) -> Landing:
    """Restore the cached raw tables and ingestion state into this (new, initialised) warehouse, with their owners
    and grants, and move the ops times forward by the cache's age: the landing then looks as recent as a full
    rebuild's own ingestion would (the freshness check reads the load audit). The raw rows keep their `_loaded_at`:
    landed when the cache was made, which a warehouse that has run since would also show."""
    from reelhouse.warehouse import admin_url, connect, libpq_dsn
    from reelhouse.warehouse.embedded import pg_binary

    manifest = cached_landing(world, digest)
    if manifest is None:
        raise FileNotFoundError(f"no landed cache {landed_folder(world, digest)}")
    folder = landed_folder(world, digest)
    started = time.perf_counter()
    print(f"restoring what ingestion landed from {folder} ...", file=sys.stderr)
    subprocess.run([pg_binary("pg_restore"), "--clean", "--if-exists", "-j", "2", "-d", libpq_dsn(admin_url()),
                    str(folder / "warehouse.dump")], check=True, capture_output=True)
    with connect(admin_url(), autocommit=True) as conn:
        age = conn.execute("SELECT extract(epoch FROM now() - %s::timestamptz)", (manifest["saved_at"],)
                           ).fetchone()[0]
        columns = conn.execute(
            "SELECT table_name, array_agg(column_name::text) FROM information_schema.columns WHERE table_schema ="
            " 'ops' AND table_name = ANY(%s) AND data_type = 'timestamp with time zone' GROUP BY 1",
            (ingestion_ops_tables(),)).fetchall()
        for table, names in columns:
            moves = ", ".join(f"{name} = {name} + make_interval(secs => {float(age)})" for name in names)
            conn.execute(f"UPDATE ops.{table} SET {moves}")  # noqa: S608  (names from the catalog; small tables)
        conn.execute("ANALYZE")  # a restore leaves no statistics behind
    return Landing(folder, time.perf_counter() - started, manifest["dump_bytes"], manifest["raw_bytes"],
                   manifest["saved_at"], float(age) / 3600)
