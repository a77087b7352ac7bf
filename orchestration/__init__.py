"""The Dagster code location: one `Definitions` in orchestration.definitions wiring ingestion, dbt,
data-quality checks and publishing into jobs, schedules and sensors. Asset bodies stay thin: the
work is done by ingestion/, dbt_project/, expectations/ and semantic/."""
