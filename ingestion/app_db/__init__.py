"""The app database path: every table of the app schema, incremental on updated_at, merged on the key."""

from ingestion.app_db.loader import TableProgress, load_app_tables
from ingestion.app_db.schema import SchemaDriftError
from ingestion.app_db.tables import APP_TABLES

__all__ = ["APP_TABLES", "SchemaDriftError", "TableProgress", "load_app_tables"]
