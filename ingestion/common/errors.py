"""Database errors put in words a data engineer can act on."""

from __future__ import annotations

# SQLSTATE class 53, "insufficient resources": the server could not do the work, whatever the SQL.
RESOURCE_SHORTAGES = {
    "53100": "out of disk space",
    "53200": "out of memory",
    "53300": "out of connection slots",
    "53400": "over a configured resource limit",
}


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def resource_shortage(error: BaseException) -> tuple[str, str] | None:
    """For an SQLSTATE class 53 error, what ran out and the server's words:
    ("out of disk space", "SQLSTATE 53100: could not extend file ...: No space left on device"); else None."""
    sqlstate = getattr(error, "sqlstate", None) or ""
    if not sqlstate.startswith("53"):
        return None
    return RESOURCE_SHORTAGES.get(sqlstate, "out of resources"), f"SQLSTATE {sqlstate}: {first_line(error)}"


def warehouse_write_failure(error: BaseException, schema: str, table: str) -> str:
    """One line for an error writing a raw table: the server's first line; for a warehouse out of disk space,
    memory or connections also the table and what became of the batch (its transaction is rolled back)."""
    shortage = resource_shortage(error)
    if shortage is None:
        return first_line(error)
    what, detail = shortage
    return (f"the warehouse is {what} writing {schema}.{table} ({detail}); the batch in progress and its cursor were "
            "rolled back (committed batches are kept), run again once the server has room")
