"""Reporting: the weekly report email, its job and its schedule."""
