"""Picks the connector for a path given on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from assistant.types import Connector, Document

from .files import FileConnector
from .jsonl import JsonlConnector


class _FolderWithRecords:
    """A folder: its text files, plus every .jsonl file in it read as records."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def iter_documents(self) -> Iterator[Document | Exception]:
        yield from FileConnector(self.path).iter_documents()
        for file in sorted(self.path.rglob("*.jsonl")):
            if not any(part.startswith(".") for part in file.relative_to(self.path).parts):
                yield from JsonlConnector(file).iter_documents()


def connector_for(path: str | Path) -> Connector:
    path = Path(path)
    if path.is_dir():
        return _FolderWithRecords(path)
    if path.suffix.lower() == ".jsonl":
        return JsonlConnector(path)
    return FileConnector(path)
