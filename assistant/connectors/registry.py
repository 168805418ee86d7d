"""Picks the connector for a path given on the command line (`auto`): by extension, then by content
for formats that share an extension (MedQuAD / PubMed / USLM XML; PubMedQA / FHIR / ContractNLI JSON)."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator, Sequence

from assistant.connectors.contractnli import ContractNLIConnector
from assistant.connectors.fhir import FHIRConnector, is_fhir_file
from assistant.connectors.files import SUPPORTED, FileConnector, walk_files
from assistant.connectors.healthcare import MedQuADConnector, PubMedQAConnector
from assistant.connectors.jsonl import JsonlConnector
from assistant.connectors.pubmed import PubMedConnector, is_pubmed_file
from assistant.connectors.skipped import unread_file
from assistant.connectors.tabular import CsvConnector
from assistant.connectors.uslm import USLMConnector
from assistant.core.errors import SourceError
from assistant.core.types import Connector, Document

RECORD_CONNECTORS = {".jsonl": JsonlConnector, ".csv": CsvConnector}
_XML, _JSON = (".xml", ".xml.gz"), (".json", ".ndjson", ".json.gz", ".ndjson.gz")


def _head(path: Path, size: int = 4096) -> str:
    try:
        with path.open("rb") as f:
            return f.read(size).decode("utf-8", errors="replace")
    except OSError:
        return ""


def _structured(path: Path) -> Callable[[Path], Connector] | None:
    """The connector class for a data file recognised by its name and first bytes, or None."""
    name = path.name.lower()
    if name.endswith(_XML):
        if is_pubmed_file(path):
            return PubMedConnector
        head = _head(path, 65536)
        if "<qapair" in head.lower():
            return MedQuADConnector
        if "schemas.gpo.gov/xml/uslm" in head or "xml.house.gov/schemas/uslm" in head:  # bills, US Code
            return USLMConnector
    if name.endswith(_JSON):
        head = _head(path, 65536)
        if '"CONTEXTS"' in head:
            return PubMedQAConnector
        # "file_name" precedes each contract's (long) text, so it is inside the head; "spans" may not be.
        if '"documents"' in head and any(k in head for k in ('"file_name"', '"annotation_sets"', '"spans"')):
            return ContractNLIConnector
        if is_fhir_file(path):
            return FHIRConnector
    if path.suffix.lower() in RECORD_CONNECTORS:
        return RECORD_CONNECTORS[path.suffix.lower()]
    return None


class FolderConnector:
    """Every file under a folder (recursively, sorted, include/exclude globs applied), each read by the
    connector its name and content call for; documents keep ids relative to the folder."""

    def __init__(self, path: str | Path, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        self.path = Path(path).expanduser().resolve()
        self.include, self.exclude = tuple(include), tuple(exclude)

    def iter_documents(self) -> Iterator[Document | Exception]:
        refused: list[SourceError] = []
        files = walk_files(self.path, None, self.include, self.exclude, refused)
        if not files and not refused:
            globs = f" (include {list(self.include)}, exclude {list(self.exclude)})" if self.include or self.exclude else ""
            yield SourceError(str(self.path), f"no files found under this folder{globs}")
            return
        for file in files:
            yield from guarded(lambda: self._read(file), file)
        yield from refused

    def _read(self, file: Path) -> Iterator[Document | Exception]:
        kind = _structured(file)
        if kind is not None:
            yield from kind(file).iter_documents()
        elif file.suffix.lower() in SUPPORTED:
            yield from FileConnector(file, id_root=self.path).iter_documents()
        elif self.include:  # the user asked for this file by glob: its not being read is an error
            yield SourceError(str(file), f"unsupported file type {file.suffix or '(none)'}; expected one of "
                                         f"{', '.join(SUPPORTED)}, .csv, .jsonl, or PubMed/MedQuAD/USLM XML, "
                                         "PubMedQA/FHIR/ContractNLI JSON")
        else:
            yield unread_file(file, ", ".join(SUPPORTED))


def guarded(make: Callable[[], Iterable[Document | Exception]], source: Path | str) -> Iterator[Document | Exception]:
    """The items of one source, with an exception raised while opening or iterating it turned into one
    error for that source: a generator that raised cannot go on, but the folder walk can."""
    try:
        yield from make()
    except Exception as exc:  # noqa: BLE001 - any connector bug or parser error stays inside its file
        yield exc if isinstance(exc, SourceError) else SourceError(str(source), f"{type(exc).__name__}: {exc}")


def connector_for(path: str | Path, include: Sequence[str] = (), exclude: Sequence[str] = ()) -> Connector:
    path = Path(path)
    if path.is_dir():
        return FolderConnector(path, include, exclude)
    kind = _structured(path)
    return kind(path) if kind is not None else FileConnector(path)
