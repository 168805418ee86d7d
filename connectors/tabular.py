"""CSV records with a column mapping: one Document per row, `id` kept exactly."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Iterator

from assistant.errors import SourceError
from assistant.types import Document

from .files import read_text_file


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
        id_field, text_field, title_field = self.fields
        try:
            dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel
        reader = csv.DictReader(content.splitlines(), dialect=dialect)
        missing = [f for f in (id_field, text_field) if f not in (reader.fieldnames or [])]
        if missing:
            yield SourceError(str(self.path), f"expected columns {missing} in the header, found "
                                              f"{reader.fieldnames}; map them with id_field/text_field")
            return
        for row in reader:
            where = f"{self.path}:{reader.line_num}"
            doc_id, text = (row.get(id_field) or "").strip(), row.get(text_field) or ""
            if None in row:
                yield SourceError(where, f"row has {len(row) - 1 + len(row[None])} fields, the header has "
                                         f"{len(reader.fieldnames)}")
                continue
            if not doc_id or not text.strip():
                yield SourceError(where, f"expected non-empty '{id_field}' and '{text_field}'")
                continue
            keep = self.metadata_fields if self.metadata_fields is not None else [
                f for f in reader.fieldnames if f not in self.fields]
            yield Document(id=doc_id, text=text, title=(row.get(title_field) or "").strip(), source=str(self.path),
                           metadata={k: row[k] for k in keep if k in row})
