"""FHIR R4 clinical documents: Composition and DocumentReference resources, read from Bundles, single
resources or NDJSON bulk-export files (plain or gzip). Each Document is restricted (acl) to its patient."""

from __future__ import annotations

import base64
import binascii
import io
import json
import re
import tempfile
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import lxml.html
from lxml import etree

from assistant.connectors.files import MAX_BINARY_BYTES, source_files
from assistant.connectors.healthcare import DOMAIN, _parser
from assistant.connectors.html import html_to_text
from assistant.connectors.pdf import read_pdf
from assistant.connectors.pubmed import (
    _open,  # gzip sniffed by magic bytes, as for PubMed files
)
from assistant.core.errors import SourceError
from assistant.core.types import Document

# Attachment content types we can turn into text, best rendition first: when a DocumentReference offers
# the same document in several formats, Markdown and plain text are exact, HTML nearly so, PDF extraction lossy.
_KINDS = {"text/markdown": "markdown", "text/x-markdown": "markdown", "text/plain": "text",
          "text/html": "html", "application/xhtml+xml": "html", "application/pdf": "pdf"}
_PREFERENCE = ("markdown", "text", "html", "pdf")
_MAX_BUNDLE_DEPTH = 3  # a Bundle may hold Bundles; deeper nesting is a malformed export, not data
_SUFFIXES = (".json", ".ndjson", ".json.gz", ".ndjson.gz")
_NARRATIVE_BLOCKS = {"p", "div", "section", "ul", "ol", "li", "table", "thead", "tbody", "tfoot", "caption",
                     "blockquote", "pre", "dl", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "hr"}
_FIX = "export it as FHIR R4 JSON: a Bundle, a single resource, or NDJSON with one resource per line"


def is_fhir_file(path: Path) -> bool:
    """True when the first KB of `path` (decompressed for .gz) hold a FHIR `resourceType` key."""
    try:
        with _open(path) as f:
            return b'"resourceType"' in f.read(4096)
    except (OSError, EOFError, zlib.error):
        return False


def _str(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _concept(cc: Any) -> str:
    """A CodeableConcept as words: its text, else the first coding's display, else its code."""
    if not isinstance(cc, dict):
        return ""
    codings = [c for c in cc.get("coding") or [] if isinstance(c, dict)]
    return _str(cc.get("text")) or next((_str(c.get("display")) for c in codings if _str(c.get("display"))), "") \
        or next((_str(c.get("code")) for c in codings if _str(c.get("code"))), "")


def _refs(value: Any) -> list[str]:
    """Reference(s) as display names, falling back to the reference string."""
    items = value if isinstance(value, list) else [value]
    return [n for n in (_str(r.get("display")) or _str(r.get("reference")) for r in items if isinstance(r, dict)) if n]


@dataclass
class _Bundle:
    """What entries of one Bundle need from the others: urn:uuid patient references and inlined Binaries."""

    patients: dict[str, str] = field(default_factory=dict)
    binaries: dict[str, dict] = field(default_factory=dict)

    @classmethod
    def index(cls, entries: Iterable[Any]) -> "_Bundle":
        out = cls()
        for entry in entries:
            res = entry.get("resource") if isinstance(entry, dict) else None
            if not isinstance(res, dict):
                continue
            full, rid = _str(entry.get("fullUrl")), _str(res.get("id"))
            if res.get("resourceType") == "Patient" and full:
                out.patients[full] = rid or re.split(r"[/:]", full)[-1]
            elif res.get("resourceType") == "Binary":
                out.binaries.update({key: res for key in (full, f"Binary/{rid}" if rid else "") if key})
        return out

    def patient(self, reference: Any) -> str:
        """`Patient/123`, `https://host/fhir/Patient/123/_history/2` or a Bundle's urn:uuid → `123`;
        a subject that is not a Patient (Group, Device) → ""."""
        ref = _str(reference.get("reference")) if isinstance(reference, dict) else ""
        ref = ref.split("/_history/")[0].rstrip("/")
        if ref in self.patients:
            return self.patients[ref]
        parts = ref.split("/")
        return parts[-1] if len(parts) >= 2 and parts[-2] == "Patient" else ""

    def binary(self, url: str) -> dict | None:
        m = re.search(r"Binary/[^/]+$", url)
        return self.binaries.get(url) or (self.binaries.get(m.group(0)) if m else None)


def narrative_text(markup: str) -> str:
    """FHIR narrative XHTML (`text.div`) → readable text: paragraphs and table rows as paragraphs,
    list items as `- ` lines, table cells joined with ` | `. Non-well-formed markup (common in
    exports from older systems) is read with the forgiving HTML parser instead of rejected."""
    if not markup.strip():
        return ""
    try:
        root = etree.fromstring(markup.encode("utf-8"), _parser())
    except etree.XMLSyntaxError:
        try:
            root = lxml.html.fragment_fromstring(markup, create_parent="div")
        except (etree.ParserError, ValueError):
            return " ".join(re.sub(r"<[^>]+>", " ", markup).split())
    lines: list[list[str]] = [[]]
    _walk(root, lines)
    text = [t for t in (" ".join("".join(parts).split()) for parts in lines) if t and t != "-"]
    out = ""
    for i, line in enumerate(text):
        # consecutive list items stay one block; anything else gets a blank line between
        out += ("" if i == 0 else "\n" if line.startswith("- ") and text[i - 1].startswith("- ") else "\n\n") + line
    return out


def _walk(el: Any, lines: list[list[str]]) -> None:
    tag = etree.QName(el).localname.lower() if isinstance(el.tag, str) else ""
    if tag in ("", "script", "style"):  # comments and processing instructions have no string tag
        lines[-1].append(el.tail or "")
        return
    if tag == "tr":
        cells = (" ".join("".join(c.itertext()).split()) for c in el
                 if isinstance(c.tag, str) and etree.QName(c).localname.lower() in ("td", "th"))
        lines.extend([[" | ".join(c for c in cells if c)], [el.tail or ""]])
        return
    block = tag in _NARRATIVE_BLOCKS or tag == "br"
    if block:
        lines.append(["- "] if tag == "li" else [])
    lines[-1].append(el.text or "")
    for child in el:
        _walk(child, lines)
    if block:
        lines.append([])
    lines[-1].append(el.tail or "")


class FHIRConnector:
    """`path` is a FHIR JSON file (.json, .ndjson, optionally .gz) or a folder of them. Compositions and
    DocumentReferences become Documents with id `<ResourceType>/<id>` and acl `patient:<id>` plus
    `acl_groups`. After iteration `ignored` counts the other resource types seen (Patient, Observation...)
    and `skipped` the documents marked entered-in-error, which are wrong by definition and never ingested.

    A document without a Patient subject gets only `acl_groups` as its acl, so with no groups it is
    visible to everyone: pass acl_groups when the export holds such documents."""

    def __init__(self, path: str | Path, acl_groups: Iterable[str] = ()) -> None:
        self.path = Path(path)
        self.acl_groups = tuple(acl_groups)
        self.ignored: Counter[str] = Counter()
        self.skipped = 0
        self._source = str(self.path)  # the file being read: Document.source, while errors point inside it

    def iter_documents(self) -> Iterator[Document | Exception]:
        self.ignored, self.skipped = Counter(), 0
        try:
            files = source_files(self.path, _SUFFIXES, "expected a FHIR .json/.ndjson file or a folder",
                                 "expected FHIR .json or .ndjson files in this folder, found none")
        except SourceError as exc:
            yield exc
            return
        for file in files:
            yield from self._read(file)

    def _read(self, file: Path) -> Iterator[Document | Exception]:
        where = self._source = str(file)
        try:
            if file.name.lower().endswith((".ndjson", ".ndjson.gz")):
                # Bulk exports run to gigabytes: stream them line by line, no whole-file limit.
                with _open(file) as raw:
                    yield from self._lines(io.TextIOWrapper(raw, encoding="utf-8-sig"), where)
                return
            with _open(file) as raw:
                # Bundles carry base64 PDFs, so the binary limit applies rather than the text one.
                data = raw.read(MAX_BINARY_BYTES + 1)
        except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
            yield SourceError(where, f"could not read file ({exc}); expected UTF-8 FHIR JSON, plain or gzip")
            return
        if len(data) > MAX_BINARY_BYTES:
            yield SourceError(where, f"file is over the {MAX_BINARY_BYTES // 10**6} MB limit for one JSON "
                                     "document; export it as NDJSON (one resource per line), which is streamed")
            return
        try:
            text = data.decode("utf-8-sig")
            resource = json.loads(text)
        except RecursionError:  # hostile nesting; json raises this instead of a JSONDecodeError
            yield SourceError(where, f"JSON is nested too deeply to be a FHIR resource; {_FIX}")
            return
        except UnicodeDecodeError as exc:
            yield SourceError(where, f"file is not UTF-8 ({exc.reason} at byte {exc.start}); FHIR JSON is "
                                     "always UTF-8, re-export it")
            return
        except json.JSONDecodeError as exc:
            if exc.msg == "Extra data" and text.lstrip().startswith("{"):
                # NDJSON saved with a .json suffix: one object per line parses up to the second line.
                yield from self._lines(io.StringIO(text), where)
                return
            yield SourceError(where, f"malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                                     f"expected a FHIR resource or Bundle; {_FIX}")
            return
        yield from self._resource(resource, where, _Bundle(), "", 0)

    def _lines(self, lines: Iterable[str], where: str) -> Iterator[Document | Exception]:
        for lineno, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                resource = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                why = f"{exc.msg} at column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else "too deep"
                yield SourceError(f"{where}:{lineno}", f"malformed JSON ({why}); expected one FHIR resource "
                                                       "per NDJSON line")
                continue
            yield from self._resource(resource, f"{where}:{lineno}", _Bundle(), "", 0)

    def _resource(self, res: Any, where: str, bundle: _Bundle, full_url: str,
                  depth: int) -> Iterator[Document | Exception]:
        kind = res.get("resourceType") if isinstance(res, dict) else None
        if not isinstance(kind, str) or not kind:
            found = (f"an object with keys {', '.join(sorted(res)[:6])}" if isinstance(res, dict)
                     else f"a JSON {type(res).__name__}")
            yield SourceError(where, f"expected a FHIR resource (a JSON object with \"resourceType\"), found "
                                     f"{found}; {_FIX}")
            return
        if kind == "Bundle":
            entries = res.get("entry") or []
            if depth >= _MAX_BUNDLE_DEPTH or not isinstance(entries, list):
                yield SourceError(where, f"expected a Bundle whose entry is a list, nested at most "
                                         f"{_MAX_BUNDLE_DEPTH} deep; found entry of type {type(entries).__name__} "
                                         f"at nesting depth {depth}; {_FIX}")
                return
            index = _Bundle.index(entries)
            for i, entry in enumerate(entries):
                at = f"{where}#entry[{i}]"
                if not isinstance(entry, dict) or not isinstance(entry.get("resource"), dict):
                    # search/transaction responses hold entries with only `response`: nothing to read
                    self.ignored["(entry without resource)"] += 1
                    continue
                yield from self._resource(entry["resource"], at, index, _str(entry.get("fullUrl")), depth + 1)
        elif kind in ("Composition", "DocumentReference"):
            if "entered-in-error" in (res.get("status"), res.get("docStatus")):
                self.skipped += 1  # wrong by definition; ingesting it could put false facts in answers
                return
            common = self._common(res, where, bundle, full_url)
            if isinstance(common, SourceError):
                yield common
                return
            if kind == "Composition":
                yield self._composition(res, where, full_url, *common)
            else:
                yield self._document_reference(res, where, bundle, full_url, *common)
        else:
            self.ignored[kind] += 1

    def _common(self, res: dict, where: str, bundle: _Bundle, full_url: str) -> tuple[str, dict] | SourceError:
        """(document id, metadata shared by both document types), or the error for a missing id."""
        kind = res["resourceType"]
        rid = _str(res.get("id")) or (re.split(r"[/:]", full_url)[-1] if full_url else "")
        if not rid:
            return SourceError(where, f"expected {kind}.id (or the entry's fullUrl) to build a stable document "
                                      f"id, found neither; give each {kind} an id when exporting")
        subject = res.get("subject") if isinstance(res.get("subject"), dict) else {}
        return f"{kind}/{rid}", {
            "resource_type": kind, "id": rid, "status": _str(res.get("status")), "date": _str(res.get("date")),
            "type": _concept(res.get("type")), "subject": _str(subject.get("reference")),
            "patient": bundle.patient(subject), "authors": _refs(res.get("author")),
        }

    def _document(self, doc_id: str, title: str, text: str, full_url: str, metadata: dict) -> Document:
        patient = metadata["patient"]
        return Document(id=doc_id, title=title or doc_id, text=text, source=self._source,
                        uri=full_url if full_url.startswith(("http://", "https://")) else "", domain=DOMAIN,
                        acl=((f"patient:{patient}",) if patient else ()) + self.acl_groups, metadata=metadata)

    def _composition(self, res: dict, where: str, full_url: str, doc_id: str, metadata: dict) -> Document | Exception:
        text, structure = "", []

        def add(sections: Any, depth: int, path: tuple[str, ...]) -> None:
            nonlocal text
            for n, sec in enumerate(sections if isinstance(sections, list) else [], start=1):
                if not isinstance(sec, dict):
                    continue
                name = _str(sec.get("title")) or _concept(sec.get("code")) or f"Section {n}"
                body = narrative_text(sec["text"].get("div") or "") if isinstance(sec.get("text"), dict) else ""
                start = len(text)
                text += f"{'#' * min(depth, 6)} {name}\n\n"
                if body:
                    text += body
                    # A span per section with narrative: chunks stay inside it and cite "Parent > Child";
                    # headings of sections without narrative are kept for reading but never chunked alone.
                    structure.append({"start": start, "end": len(text), "section": " > ".join(path + (name,))})
                    text += "\n\n"
                add(sec.get("section"), depth + 1, path + (name,))

        add(res.get("section"), 2, ())
        if not structure and isinstance(res.get("text"), dict):
            # No section narrative: the resource-level narrative is the whole document.
            text = narrative_text(res["text"].get("div") or "")
            structure = [{"start": 0, "end": len(text)}] if text else []
        if not structure:
            return SourceError(where, f"{doc_id} has no narrative text; expected section[].text.div XHTML. A "
                                      "Composition with only coded entries cannot be read as text: include the "
                                      "section narratives when generating the document")
        metadata["structure"] = structure
        return self._document(doc_id, _str(res.get("title")) or metadata["type"], text.rstrip() + "\n",
                              full_url, metadata)

    def _document_reference(self, res: dict, where: str, bundle: _Bundle, full_url: str, doc_id: str,
                            metadata: dict) -> Document | Exception:
        contents = res.get("content")
        candidates, problems = [], []
        for i, content in enumerate(contents if isinstance(contents, list) else []):
            att = content.get("attachment") if isinstance(content, dict) else None
            if not isinstance(att, dict):
                problems.append(f"content[{i}] has no attachment")
                continue
            url = _str(att.get("url"))
            binary = bundle.binary(url) if url and not att.get("data") else None
            if binary is not None:  # the attachment points at a Binary inlined in the same Bundle
                att = {**att, "data": binary.get("data"), "contentType": att.get("contentType")
                       or binary.get("contentType")}
            ctype = _str(att.get("contentType")).split(";")[0].strip().lower()
            if not isinstance(att.get("data"), str) or not att["data"].strip():
                problems.append(f"content[{i}] is not embedded (it only has url {url!r}; URLs are never "
                                f"fetched)" if url else f"content[{i}] has neither data nor url")
            elif ctype not in _KINDS:
                problems.append(f"content[{i}] has unsupported contentType {ctype or '(none)'!r}")
            else:
                candidates.append((_PREFERENCE.index(_KINDS[ctype]), i, att))
        for _, i, att in sorted(candidates, key=lambda c: c[:2]):
            try:
                text, extra = _decode(att)
            except (ValueError, SourceError) as exc:
                problems.append(f"content[{i}]: {exc}")
                continue
            if text.strip():
                break
            problems.append(f"content[{i}] holds no text")
        else:
            found = "; ".join(problems) or "no content[]"
            return SourceError(where, f"{doc_id}: no readable attachment ({found}). Expected content[].attachment "
                                      f"with base64 data and contentType {', '.join(sorted(_KINDS))}; export "
                                      "with attachments inlined (or the Binary resources in the same Bundle)")
        metadata.update(extra, doc_status=_str(res.get("docStatus")), content_type=_str(att.get("contentType")),
                        category=[c for c in (_concept(x) for x in res.get("category") or []) if c])
        if not metadata["date"]:
            metadata["date"] = _str(att.get("creation"))
        title = _str(res.get("description")) or _str(att.get("title")) or metadata["type"]
        return self._document(doc_id, title, text, full_url, metadata)


def _decode(att: dict) -> tuple[str, dict]:
    """(text, extra metadata) of an embedded attachment; raises ValueError (unreadable text, bad base64)
    or SourceError (unreadable PDF) saying why."""
    kind = _KINDS[_str(att.get("contentType")).split(";")[0].strip().lower()]
    data = "".join(att["data"].split())
    if len(data) * 3 // 4 > MAX_BINARY_BYTES:
        raise ValueError(f"attachment is over the {MAX_BINARY_BYTES // 10**6} MB limit")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("data is not valid base64; FHIR Attachment.data must be base64-encoded") from None
    if kind == "pdf":
        with tempfile.TemporaryDirectory() as tmp:
            pdf = Path(tmp) / "attachment.pdf"
            pdf.write_bytes(raw)
            _, text, meta = read_pdf(pdf)  # the same reader as .pdf files, so page locators match
        return text, {"format": "pdf", "pages": meta["pages"], "page_starts": meta["page_starts"]}
    m = re.search(r"charset\s*=\s*\"?([\w.:-]+)", _str(att.get("contentType")), re.IGNORECASE)
    charset = m.group(1) if m else "utf-8"
    try:
        text = raw.decode("utf-8-sig" if charset.lower().replace("_", "-") in ("utf-8", "utf8") else charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ValueError(f"text is not valid {charset} ({exc}); declare the charset in contentType, "
                               "e.g. 'text/plain; charset=ISO-8859-1'") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if kind == "html":
        text = html_to_text(text)[1]  # its ValueError for unparseable markup is reported like ours
    return text, {"format": kind}
