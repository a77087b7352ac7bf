"""User-facing errors: the CLI prints these as one clear line instead of a traceback."""


class ReelhouseError(Exception):
    """A problem the user can fix (configuration, a busy port, an unreachable server)."""
