"""Superset dashboards as code: specs in dashboards/*.yml, metrics from semantic/metrics.yml, applied
through Superset's REST API (provision), refreshed after each pipeline run (publish)."""

from semantic.superset.client import SupersetClient, SupersetError, admin_client
from semantic.superset.provision import apply, demo_creator_login
from semantic.superset.publish import publish, warm_caches

__all__ = ["SupersetClient", "SupersetError", "admin_client", "apply", "demo_creator_login", "publish", "warm_caches"]
