"""Superset's configuration, loaded by Superset itself (SUPERSET_CONFIG_PATH) inside its own virtualenv.

It imports nothing from Reelhouse: `reelhouse superset up` passes every value through the environment,
so secrets never land in a file.
"""

import os

SECRET_KEY = os.environ["REELHOUSE_SUPERSET_SECRET_KEY"]
SQLALCHEMY_DATABASE_URI = os.environ["REELHOUSE_SUPERSET_METADATA_URL"]

# Chart data is cached and warmed by the pipeline after every hourly run, so the first viewer does not
# wait; entries outlive one refresh cycle so a missed warm-up still serves the last numbers.
_REDIS_URL = os.environ.get("REELHOUSE_SUPERSET_CACHE_REDIS_URL")
_CACHE_HOURS = 2


def _cache(prefix: str) -> dict:
    if _REDIS_URL:
        return {"CACHE_TYPE": "RedisCache", "CACHE_REDIS_URL": _REDIS_URL, "CACHE_KEY_PREFIX": prefix,
                "CACHE_DEFAULT_TIMEOUT": _CACHE_HOURS * 3600}
    return {"CACHE_TYPE": "FileSystemCache", "CACHE_KEY_PREFIX": prefix, "CACHE_THRESHOLD": 50_000,
            "CACHE_DIR": os.path.join(os.environ["REELHOUSE_SUPERSET_CACHE_DIR"], prefix.rstrip("_")),
            "CACHE_DEFAULT_TIMEOUT": _CACHE_HOURS * 3600}


CACHE_CONFIG = _cache("superset_")
DATA_CACHE_CONFIG = _cache("superset_data_")
FILTER_STATE_CACHE_CONFIG = _cache("superset_filter_")
EXPLORE_FORM_DATA_CACHE_CONFIG = _cache("superset_explore_")
RATELIMIT_STORAGE_URI = _REDIS_URL or "memory://"

# Roles, users and row-level security are provisioned from code through the REST API.
FAB_ADD_SECURITY_API = True
FEATURE_FLAGS = {"DASHBOARD_RBAC": True}
# Served on plain http on localhost in the demo; a reverse proxy terminates TLS in production.
TALISMAN_ENABLED = os.environ.get("REELHOUSE_SUPERSET_TALISMAN", "false") == "true"
SESSION_COOKIE_SECURE = TALISMAN_ENABLED
ROW_LIMIT = 50_000
SQLLAB_TIMEOUT = 120
SUPERSET_WEBSERVER_TIMEOUT = 120
