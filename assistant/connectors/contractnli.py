"""ContractNLI (Koreeda & Manning, 2021): non-disclosure agreements annotated, for 17 fixed hypotheses, with
an NLI label and evidence spans. One Document per contract; its text is the dataset's text unchanged, so the
character offsets in `metadata["spans"]` stay valid and evidence maps onto chunks (`chunks_for_span`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator, Sequence

from assistant.connectors.files import read_json_file
from assistant.core.errors import SourceError
from assistant.core.types import Chunk, Document

DOMAIN = "legal"
# The released train.json is about 10 MB; a file far larger than that is not one ContractNLI split.
CONTRACTNLI_MAX_BYTES = 200 * 1024 * 1024
CHOICES = ("Entailment", "Contradiction", "NotMentioned")
ID_PREFIX = "contractnli:"


class ContractNLIConnector:
    """Reads one ContractNLI split (train.json, dev.json, test.json): `{"documents": [...], "labels": {...}}`.
    Each document's metadata keeps `spans` ([start, end] character offsets into the text) and `annotations`
    ({"nda-k": {"choice", "spans": [indices into spans]}}) for evaluation; the hypothesis texts, the same for
    every contract, are kept once on the connector (`hypotheses`, `labels`) after `iter_documents()`."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.labels: dict[str, dict[str, str]] = {}  # nda-k → {"hypothesis", "short_description"}

    @property
    def hypotheses(self) -> dict[str, str]:
        """nda-k → hypothesis text, e.g. "nda-11" → "Receiving Party shall not reverse engineer ..."."""
        return {key: label.get("hypothesis", "") for key, label in self.labels.items()}

    def iter_documents(self) -> Iterator[Document | Exception]:
        where = str(self.path)
        try:
            data = read_json_file(self.path, CONTRACTNLI_MAX_BYTES,
                                  'a ContractNLI split {"documents": [...], "labels": {...}}')
        except SourceError as exc:
            yield exc
            return
        documents = data.get("documents") if isinstance(data, dict) else None
        if not isinstance(documents, list):
            found = f"keys {sorted(data)[:8]}" if isinstance(data, dict) else f"a JSON {type(data).__name__}"
            yield SourceError(where, f'expected a ContractNLI split: an object with a "documents" list (and '
                                     f'"labels"), found {found}; is this a ContractNLI train/dev/test.json file?')
            return
        labels = data.get("labels", {})
        if _valid_labels(labels):
            self.labels = {key: dict(value) for key, value in labels.items()}
        else:
            yield SourceError(f"{where}#labels", 'expected "labels" as {"nda-k": {"hypothesis": "..."}}, found '
                                                 f"{json.dumps(labels)[:80]}; hypothesis texts will be missing")
        seen: set[str] = set()
        for index, entry in enumerate(documents):
            item = self._document(index, entry)
            if isinstance(item, Document) and item.id in seen:
                item = SourceError(f"{where}#documents[{index}]", f"duplicate id {item.id!r}: expected ids unique "
                                                                  "in a split; this later copy is skipped")
            elif isinstance(item, Document):
                seen.add(item.id)
            yield item

    def _document(self, index: int, entry: Any) -> Document | SourceError:
        where = f"{self.path}#documents[{index}]"
        if not isinstance(entry, dict):
            return SourceError(where, f"expected a document object with id, text and spans, found "
                                      f"{type(entry).__name__}")
        raw_id, file_name, text = entry.get("id"), entry.get("file_name"), entry.get("text")
        if isinstance(raw_id, bool) or not (isinstance(raw_id, int) or (isinstance(raw_id, str) and raw_id.strip())):
            if not (isinstance(file_name, str) and file_name.strip()):
                return SourceError(where, f"expected an integer or string id (or a file_name), found {raw_id!r}")
            raw_id = file_name.strip()  # ids name rows in evaluations; a file name is the next stable key
        where = f"{self.path}#id={raw_id}"
        if not isinstance(text, str) or not text.strip():
            return SourceError(where, f"expected a non-empty string text, found {str(text)[:40]!r}")
        spans = entry.get("spans", [])
        problem = _check_spans(spans, len(text))
        if problem:
            return SourceError(where, problem)
        annotations, problem = _annotations(entry.get("annotation_sets"), len(spans))
        if problem:
            return SourceError(where, problem)
        metadata: dict[str, Any] = {"contractnli_id": raw_id, "file_name": file_name or "",
                                    "spans": [[int(s), int(e)] for s, e in spans], "annotations": annotations}
        for key in ("document_type", "url"):
            if isinstance(entry.get(key), str) and entry[key]:
                metadata[key] = entry[key]
        return Document(id=f"{ID_PREFIX}{raw_id}", text=text, title=str(file_name or raw_id), source=str(self.path),
                        uri=metadata.get("url", ""), domain=DOMAIN, metadata=metadata)


def _valid_labels(labels: Any) -> bool:
    return isinstance(labels, dict) and all(
        isinstance(k, str) and isinstance(v, dict) and isinstance(v.get("hypothesis"), str) for k, v in labels.items())


def _check_spans(spans: Any, length: int) -> str:
    """'' when `spans` is a list of [start, end] offsets inside the text, else what is wrong."""
    if not isinstance(spans, list):
        return f"expected spans as a list of [start, end] character offsets, found {type(spans).__name__}"
    for i, span in enumerate(spans):
        ok = (isinstance(span, (list, tuple)) and len(span) == 2
              and all(isinstance(x, int) and not isinstance(x, bool) for x in span))
        if not ok or not 0 <= span[0] <= span[1] <= length:
            return (f"expected spans[{i}] as [start, end] with 0 <= start <= end <= {length} (the text length), "
                    f"found {span!r}; offsets must index the document text exactly as given")
    return ""


def _annotations(sets: Any, n_spans: int) -> tuple[dict[str, dict[str, Any]], str]:
    """The first annotation set (ContractNLI has one per document) checked against the span count."""
    if sets is None or sets == []:
        return {}, ""  # an unannotated contract is still a document to search
    if not isinstance(sets, list) or not isinstance(sets[0], dict) or not isinstance(sets[0].get("annotations"), dict):
        return {}, (f'expected annotation_sets as [{{"annotations": {{"nda-k": {{"choice", "spans"}}}}}}], '
                    f"found {json.dumps(sets)[:80]}")
    out: dict[str, dict[str, Any]] = {}
    for key, value in sets[0]["annotations"].items():
        choice = value.get("choice") if isinstance(value, dict) else None
        indices = value.get("spans", []) if isinstance(value, dict) else None
        if choice not in CHOICES:
            return {}, f"annotation {key}: expected choice one of {', '.join(CHOICES)}, found {choice!r}"
        if not isinstance(indices, list) or not all(
                isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n_spans for i in indices):
            return {}, (f"annotation {key}: expected spans as indices into the document's {n_spans} spans, "
                        f"found {str(indices)[:80]}")
        out[key] = {"choice": choice, "spans": list(indices)}
    return out, ""


def evidence_spans(document: Document, hypothesis: str) -> list[tuple[int, int]]:
    """Character spans [(start, end)] of the evidence for one hypothesis key ("nda-11") in a ContractNLI
    Document; empty when the contract does not mention it (NotMentioned) or it is not annotated."""
    spans = document.metadata.get("spans") or []
    indices = (document.metadata.get("annotations") or {}).get(hypothesis, {}).get("spans", [])
    return [(spans[i][0], spans[i][1]) for i in indices]


def chunks_for_span(chunks: Sequence[Chunk], start: int, end: int) -> list[Chunk]:
    """The chunks sharing text with the character span [start, end) of one document (pass that document's
    chunks), in text order. Overlap on whitespace alone does not count: chunk offsets are trimmed to text,
    while dataset spans often carry the space or newline after a sentence. A span with no text at all
    (empty, or the one-space evidence span in ContractNLI dev) maps to the chunks around its position."""
    if end < start:
        raise ValueError(f"span end {end} is before its start {start}; expected start <= end")
    near = [c for c in chunks if c.start < max(end, start + 1) and start < c.end]
    texty = [c for c in near if c.text[max(start, c.start) - c.start:min(end, c.end) - c.start].strip()]
    return sorted(texty or near, key=lambda c: (c.start, c.end))
