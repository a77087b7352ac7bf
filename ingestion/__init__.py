"""Extract-load: Stripe, the app database and provider prices into the raw_* schemas.

A library with no Dagster import: the CLI (`reelhouse ingest`) and the Dagster assets call the same
functions. Each load commits its data and its cursor in one transaction and writes an audit row.
"""
