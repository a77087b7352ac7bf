"""Ingestion: one asset per source table (app database, Stripe, the price file), thin over ingestion/."""
