"""Dagster's PostgreSQL storage, holding its connections open in every process.

dagster-postgres opens a new database connection for every event it stores (SQLAlchemy's NullPool) unless the
process is the webserver, which switches its storages to a small pool at start-up. A pipeline run stores a
thousand events or more (one per asset, asset check, step and log line), and each new connection is a fork and a
password handshake on the server: profiled on the demo world, that was half of an hourly run's wall time
(BENCHMARKS.md). This storage gives run workers, `reelhouse run` and the daemon the same pool the webserver uses.
Selected in dagster.yaml as `storage: custom: {module: orchestration.lib.storage, class: PooledPostgresStorage}`.
"""

from __future__ import annotations

from typing import Any

from dagster_postgres import DagsterPostgresStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

POOL_RECYCLE_SECONDS = 3600  # reconnect hourly, so a server restart or failover is picked up
POOL_MAX_OVERFLOW = 10  # connections beyond the one kept open, for threads storing events at once


class PooledPostgresStorage(DagsterPostgresStorage):
    """DagsterPostgresStorage whose run, event-log and schedule storages keep one connection each open."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The webserver's own switch; statement_timeout 0 keeps PostgreSQL's default (none) for runs and the daemon.
        for storage in (self.run_storage, self.event_log_storage, self.schedule_storage):
            storage.optimize_for_webserver(statement_timeout=0, pool_recycle=POOL_RECYCLE_SECONDS,
                                           max_overflow=POOL_MAX_OVERFLOW)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledPostgresStorage:
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )
