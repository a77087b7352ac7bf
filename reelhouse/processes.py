"""Whether a process still exists: one answer for the embedded warehouse, Superset and abandoned pipeline runs."""

from __future__ import annotations

import os


def process_is_alive(pid: int) -> bool:
    """True while a process with this pid exists (signal 0 delivers nothing, it only checks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True
