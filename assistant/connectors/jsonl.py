"""JSON Lines records: one Document per line, its `id` kept exactly as given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

from assistant.connectors.files import read_text_file
from assistant.core.errors import SourceError
from assistant.core.metadata import acl_groups, describe, optional_text, record_metadata
from assistant.core.types import Document

_KNOWN = {"id", "text", "title", "source", "uri", "domain", "acl"}


class JsonlConnector:
    """Lines look like {"id": "...", "text": "...", "title": "...", ...}; `date` and `doc_type` go to
    metadata (filters read them), any other field to metadata["user"] (assistant/core/metadata.py).
    A malformed line is reported with its line number and the other lines are still read."""

    def __init__(self, path: str | Path, id_field: str = "id", text_field: str = "text",
                 title_field: str = "title") -> None:
        self.path = Path(path)
        self.fields = (id_field, text_field, title_field)

    def iter_documents(self) -> Iterator[Document | Exception]:
        if not self.path.is_file():
            yield SourceError(str(self.path), "path does not exist or is not a file")
            return
        try:
            content = read_text_file(self.path)
        except SourceError as exc:
            yield exc
            return
        for lineno, line in enumerate(content.split("\n"), start=1):
            if line.strip():
                yield self._record(line, f"{self.path}:{lineno}")

    def _record(self, line: str, where: str) -> Document | Exception:
        try:
            return self._parse(line, where)
        except SourceError as exc:
            return exc
        except ValueError as exc:  # a field of the wrong type (FieldError) or an id Document refuses
            return SourceError(where, str(exc))

    def _parse(self, line: str, where: str) -> Document:
        id_field, text_field, title_field = self.fields
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise SourceError(where, f"malformed JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise SourceError(where, "malformed JSON (nested too deeply)") from None
        if not isinstance(record, dict):
            raise SourceError(where, f"expected a JSON object per line, found {type(record).__name__}")
        doc_id, text = record.get(id_field), record.get(text_field)
        if isinstance(doc_id, bool) or not isinstance(doc_id, (str, int)) or not str(doc_id).strip():
            raise SourceError(where, f"expected a non-empty string or integer '{id_field}', found {doc_id!r:.80}")
        if not isinstance(text, str) or not text.strip():
            raise SourceError(where, f"record {doc_id!r}: expected a non-empty string '{text_field}', found "
                                     f"{describe(text)}")
        try:
            metadata = record_metadata({k: v for k, v in record.items() if k not in _KNOWN | set(self.fields)})
            return Document(id=str(doc_id), text=text, title=optional_text(record.get(title_field), title_field),
                            source=optional_text(record.get("source"), "source") or str(self.path),
                            uri=optional_text(record.get("uri"), "uri"),
                            domain=optional_text(record.get("domain"), "domain"),
                            acl=acl_groups(record.get("acl")), metadata=metadata)
        except ValueError as exc:
            raise SourceError(where, f"record {doc_id!r}: {exc}") from None
