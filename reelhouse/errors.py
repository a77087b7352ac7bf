"""User-facing errors: the CLI prints these as one clear line instead of a traceback.

Every exception the project defines derives from ReelhouseError, so a caller catches one class, not a tuple
(tests/test_layering.py checks it). This module imports nothing: every layer may import it.
"""


class ReelhouseError(Exception):
    """A problem the user can fix (configuration, a busy port, an unreachable server, a malformed file)."""


class ConfigError(ReelhouseError):
    """A setting in the environment has a value that cannot work; the message names the variable, the value
    (secrets masked) and what is expected. The CLI exits 2 on it, as on a bad command-line option."""
