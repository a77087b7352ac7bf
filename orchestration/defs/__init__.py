"""Assets by stage: ingestion (groups app, stripe, costs), transform (dbt), publish (BI caches)."""
