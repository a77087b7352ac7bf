"""Apache Superset run as a service next to the warehouse (its own virtualenv)."""
