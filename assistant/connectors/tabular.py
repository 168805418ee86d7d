"""CSV records with a column mapping: one Document per row, `id` kept exactly."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from assistant.connectors.files import read_text_file
from assistant.core.errors import SourceError
from assistant.core.metadata import record_metadata
from assistant.core.types import Document


class CsvConnector:
    def __init__(self, path: str | Path, id_field: str = "id", text_field: str = "text", title_field: str = "title",
                 metadata_fields: list[str] | None = None) -> None:
        self.path = Path(path)
        self.fields = (id_field, text_field, title_field)
        self.metadata_fields = metadata_fields  # None: every other column

    def iter_documents(self) -> Iterator[Document | Exception]:
        try:
            content = read_text_file(self.path)
        except SourceError as exc:
            yield exc
            return
        id_field, text_field = self.fields[:2]
        try:
            dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(content.splitlines(), dialect=dialect)
        try:
            header = reader.fieldnames or []
        except csv.Error as exc:
            yield SourceError(str(self.path), f"malformed CSV header ({exc}); expected a header row of column names")
            return
        missing = [f for f in (id_field, text_field) if f not in header]
        if missing:
            yield SourceError(str(self.path), f"expected columns {missing} in the header, found "
                                              f"{reader.fieldnames}; map them with id_field/text_field")
            return
        rows = iter(reader)
        while True:
            try:
                row = next(rows)
            except StopIteration:
                return
            except csv.Error as exc:  # e.g. a field over the csv module's size limit: the reader cannot go on
                yield SourceError(f"{self.path}:{reader.line_num}", f"malformed CSV ({exc}); rows after it were "
                                                                     "not read")
                return
            yield self._row(row, f"{self.path}:{reader.line_num}", reader.fieldnames)

    def _row(self, row: dict, where: str, fieldnames: list[str]) -> Document | Exception:
        id_field, text_field, title_field = self.fields
        doc_id, text = (row.get(id_field) or "").strip(), row.get(text_field) or ""
        if None in row:
            return SourceError(where, f"row has {len(row) - 1 + len(row[None])} fields, the header has "
                                      f"{len(fieldnames)}")
        if not doc_id or not text.strip():
            return SourceError(where, f"expected non-empty '{id_field}' and '{text_field}'")
        keep = self.metadata_fields if self.metadata_fields is not None else [
            f for f in fieldnames if f not in self.fields]
        try:
            return Document(id=doc_id, text=text, title=(row.get(title_field) or "").strip(), source=str(self.path),
                            metadata=record_metadata({k: row[k] for k in keep if k in row}))
        except ValueError as exc:  # an id with control characters
            return SourceError(where, str(exc))
