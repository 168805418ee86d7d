"""Connectors read a source and yield `Document`s (or `SourceError`s for inputs they could not read)."""

from .files import FileConnector, read_text_file
from .healthcare import MedQuADConnector, PubMedQAConnector
from .jsonl import JsonlConnector
from .registry import connector_for
from .tabular import CsvConnector

__all__ = ["CsvConnector", "FileConnector", "JsonlConnector", "MedQuADConnector", "PubMedQAConnector",
           "connector_for", "read_text_file"]
