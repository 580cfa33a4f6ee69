import sys

import typer

from bench.cli.app import app

try:
    code = app(standalone_mode=False)
except typer.Abort:  # Ctrl-C: whatever the run started is stopped already
    code = 130
except typer.TyperException as exc:  # a bad option: one line naming it, as checks.fail does
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    print(f"error: {message}", file=sys.stderr)
    code = 2
sys.exit(code if isinstance(code, int) else 0)
