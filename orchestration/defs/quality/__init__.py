"""Quality: every Great Expectations suite as an asset check, and the sources' load health (freshness, row counts)."""
