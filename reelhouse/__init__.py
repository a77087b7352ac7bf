"""Reelhouse platform core: configuration, the warehouse runtime and the CLI front door."""
