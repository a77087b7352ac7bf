"""The BI layer: metric definitions (one place, read by Superset assets and the weekly email) and the email."""
