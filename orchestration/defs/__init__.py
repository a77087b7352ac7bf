"""The code location's definitions by domain, each in its own folder with its assets, checks, jobs, schedules and
sensors: ingestion, transform (dbt), quality (Great Expectations, load health), publish (marts, Superset), reporting
(the weekly email) and pipeline (the runs spanning them: hourly refresh, full rebuild, the failure alert).
orchestration/definitions.py puts them together."""
