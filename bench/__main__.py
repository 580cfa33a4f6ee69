"""`python -m bench`: the CLI (bench/cli/app.py), its errors each one line on stderr."""

import sys

import typer

from bench.cli.app import app
from bench.jsonfile import UnknownVersion

try:
    code = app(standalone_mode=False)
except typer.Abort:  # Ctrl-C: whatever the run started is stopped already
    code = 130
# A bad option, or a saved record a newer harness wrote: one line naming it, as
# bench.cli.checks.fail does
except (typer.TyperException, UnknownVersion) as exc:
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    print(f"error: {message}", file=sys.stderr)
    code = 2
sys.exit(code if isinstance(code, int) else 0)
