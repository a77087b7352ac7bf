"""What every loader shares: load state (cursors), the audit log and the quarantine."""
