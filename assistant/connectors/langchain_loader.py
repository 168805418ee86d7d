"""Any LangChain document loader as a Connector: `LangChainLoaderConnector(CSVLoader("x.csv"))`.

LangChain loaders give `Document(page_content, metadata)` with no id; ours is built from
`metadata[id_key]` (the file path or URL for most loaders), plus a suffix when several documents share
it: the page (PyPDFLoader), the row (CSVLoader), the sequence number (JSONLoader) or else the position
within that source. Ids only depend on what the loader yields, so the same input gives the same ids.
"""

from __future__ import annotations

from typing import Any, Iterator

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document as LCDocument

from assistant.connectors.sql import json_safe
from assistant.core.errors import SourceError
from assistant.core.metadata import record_metadata
from assistant.core.types import Document

# Metadata keys that tell documents of one source apart, in the order they are preferred.
_PART_KEYS = ("page", "page_number", "row", "seq_num", "seq", "start_index")


class LangChainLoaderConnector:
    """Reads `loader.lazy_load()` one document at a time. A document without `metadata[id_key]` or without
    text is yielded as a SourceError and the rest go on; an exception from the loader itself ends this
    loader (a generator cannot resume after raising) as one SourceError."""

    def __init__(self, loader: BaseLoader, *, id_key: str = "source", title_key: str = "title",
                 domain: str | None = None, name: str | None = None) -> None:
        self.loader = loader
        self.id_key, self.title_key = id_key, title_key
        self.domain = domain or ""
        self.name = name or _describe(loader)

    def iter_documents(self) -> Iterator[Document | Exception]:
        seen: set[str] = set()
        # The first document of a source is held back until the next one shows whether the source has
        # several documents (then every id gets a suffix) or one (its id is the bare source): one
        # document of look-ahead, so a million-row CSV is never buffered.
        held: LCDocument | None = None
        group: str | None = None
        position = 0
        try:
            stream = iter(self.loader.lazy_load())
        except Exception as exc:  # noqa: BLE001 - any loader failure is this source's error, not ours
            yield self._failure(exc)
            return
        while True:
            try:
                lc_doc = next(stream)
            except StopIteration:
                break
            except Exception as exc:  # noqa: BLE001 - see above; the loader's own exception types vary
                if held is not None:
                    yield self._convert(held, group or "", None, seen)
                yield self._failure(exc)
                return
            base = self._base(lc_doc)
            if isinstance(base, SourceError):
                yield base
                continue
            if base == group:
                if held is not None:
                    yield self._convert(held, base, 0, seen)
                    held = None
                position += 1
                yield self._convert(lc_doc, base, position, seen)
                continue
            if held is not None:
                yield self._convert(held, group or "", None, seen)
            held, group, position = lc_doc, base, 0
        if held is not None:
            yield self._convert(held, group or "", None, seen)

    # --- helpers -----------------------------------------------------------------------------
    def _base(self, lc_doc: LCDocument) -> str | SourceError:
        value = (lc_doc.metadata or {}).get(self.id_key)
        base = "" if value is None else str(json_safe(value)).strip()
        if not base:
            keys = sorted((lc_doc.metadata or {}).keys())
            return SourceError(self.name, f"expected metadata key '{self.id_key}' to name each document, found "
                                          f"metadata keys {keys}; pass id_key= one of them")
        return base

    def _convert(self, lc_doc: LCDocument, base: str, position: int | None,
                 seen: set[str]) -> Document | SourceError:
        """`position` is None for a source with one document (bare id), else its place in the source."""
        metadata: dict[str, Any] = json_safe(dict(lc_doc.metadata or {}))
        doc_id = base if position is None else f"{base}#{_part(metadata, position)}"
        if doc_id in seen:
            # Same source and same page/row twice (e.g. a loader splitting one page into elements).
            doc_id = f"{doc_id}~{sum(1 for s in seen if s == doc_id or s.startswith(doc_id + '~'))}"
        seen.add(doc_id)
        text = lc_doc.page_content if isinstance(lc_doc.page_content, str) else str(lc_doc.page_content or "")
        if not text.strip():
            return SourceError(doc_id, f"expected text in the loader's page_content, found "
                                       f"{'nothing' if not text else 'only whitespace'}; the source may be "
                                       f"scanned or empty (OCR it, or skip it)")
        source = str(metadata.get("source") or self.name)
        uri = str(metadata.get("url") or (source if "://" in source else ""))
        try:
            return Document(id=doc_id, text=text, title=str(metadata.get(self.title_key) or "").strip(),
                            source=source, uri=uri, domain=self.domain, metadata=record_metadata(metadata))
        except ValueError as exc:  # a `date` of the wrong type, or an id with control characters
            return SourceError(doc_id, str(exc))

    def _failure(self, exc: BaseException) -> SourceError:
        reason = f"{type(exc).__name__}: {exc}"
        cause = exc.__cause__ or exc.__context__
        # Loaders often wrap the real reason ("Error loading x.csv" from FileNotFoundError); show both.
        if cause is not None and str(cause) not in str(exc):
            reason += f" (caused by {type(cause).__name__}: {cause})"
        return SourceError(self.name, f"expected {type(self.loader).__name__} to read {self.name}, it failed: "
                                      f"{reason}; check that the input exists and is readable, then run again "
                                      f"(documents yielded before the failure were kept)")


def _part(metadata: dict[str, Any], position: int) -> str:
    for key in _PART_KEYS:
        value = metadata.get(key)
        if value is not None and value != "":
            return f"{key}={value}"
    return str(position)


def _describe(loader: BaseLoader) -> str:
    """What the loader reads, for error sources: its path or URL when it keeps one, else its class."""
    for attribute in ("file_path", "path", "web_path", "url"):
        value = getattr(loader, attribute, None)
        if isinstance(value, (str, bytes)) or hasattr(value, "__fspath__"):
            return str(value)
    return type(loader).__name__
