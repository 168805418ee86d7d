"""The `assistant` command: one module per command group; `main` parses and dispatches."""

from assistant.cli.main import main

__all__ = ["main"]
