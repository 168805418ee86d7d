"""Picks the connector for a path given on the command line."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

from assistant.types import Connector, Document

from .files import FileConnector, walk_files
from .healthcare import MedQuADConnector, PubMedQAConnector
from .jsonl import JsonlConnector
from .tabular import CsvConnector

RECORD_CONNECTORS = {".jsonl": JsonlConnector, ".csv": CsvConnector}


class _FolderWithRecords:
    """A folder: its documents, plus every .jsonl / .csv file in it read as records."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def iter_documents(self) -> Iterator[Document | Exception]:
        yield from FileConnector(self.path).iter_documents()
        for file in walk_files(self.path, RECORD_CONNECTORS):
            yield from RECORD_CONNECTORS[file.suffix.lower()](file).iter_documents()


def _head(path: Path, size: int = 4096) -> str:
    try:
        with path.open("rb") as f:
            return f.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _is_medquad(path: Path) -> bool:
    files = [path] if path.is_file() else sorted(path.rglob("*.xml"))[:3]
    return bool(files) and all("qapairs" in _head(f).lower() or "<qapair" in _head(f, 65536).lower() for f in files)


def connector_for(path: str | Path) -> Connector:
    """`auto`: by extension, then by content for formats that share one (MedQuAD XML, PubMedQA JSON)."""
    path = Path(path)
    if path.is_dir():
        return MedQuADConnector(path) if _is_medquad(path) else _FolderWithRecords(path)
    suffix = path.suffix.lower()
    if suffix == ".xml" and _is_medquad(path):
        return MedQuADConnector(path)
    if suffix == ".json" and '"CONTEXTS"' in _head(path, 65536):
        return PubMedQAConnector(path)
    if path.suffix.lower() in RECORD_CONNECTORS:
        return RECORD_CONNECTORS[path.suffix.lower()](path)
    return FileConnector(path)
