"""Connectors read a source and yield `Document`s (or `SourceError`s for inputs they could not read)."""

from .files import FileConnector, read_text_file
from .jsonl import JsonlConnector
from .registry import connector_for

__all__ = ["FileConnector", "JsonlConnector", "connector_for", "read_text_file"]
