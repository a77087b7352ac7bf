"""`python -m reelhouse` is the same front door as the `reelhouse` command."""

from reelhouse.cli import app

app()
