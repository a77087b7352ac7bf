"""The plumbing the definitions stand on: resources built from the settings, retries, the Dagster instance and its
storage, the one-run-at-a-time lock, abandoned runs, which rows a run's checks read, and the dbt project helpers.
Nothing here imports orchestration.defs."""
