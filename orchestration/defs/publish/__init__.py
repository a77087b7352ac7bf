"""Publish: the checked marts swapped in for readers, then Superset brought in line and its caches warmed."""
