"""Transform: the dbt project's models, seeds and snapshots as assets, its data tests as asset checks."""
