"""Why a file inside a folder was not read. Every such file is reported: a malformed data file or an
archive as an error (the user meant it to be read), anything else as a warning naming its type."""

from __future__ import annotations

import gzip
import io
import json
import zlib
from pathlib import Path

from assistant.core.errors import SkippedSource, SourceError

ARCHIVES = (".zip", ".tar", ".tgz", ".tar.gz", ".tar.bz2", ".tar.xz", ".gz", ".bz2", ".xz", ".7z", ".rar")
_DATA = (".json", ".ndjson", ".json.gz", ".ndjson.gz", ".xml", ".xml.gz")
_CHECK_BYTES = 50 * 1024 * 1024  # larger unrecognised data files are reported without parsing them
_FORMATS = ("PubMed/MedQuAD/USLM XML, PubMedQA/FHIR/ContractNLI JSON (records: save them as .jsonl)")


def unread_file(path: Path, supported: str) -> SourceError:
    """The error or warning for a file in a folder that no connector reads."""
    name = path.name.lower()
    if name.endswith(_DATA):
        problem = _malformed(path)
        if problem:
            return SourceError(str(path), f"{problem}; expected {_FORMATS}")
        return SkippedSource(str(path), f"skipped: well-formed, but not a data format this reads; expected {_FORMATS}")
    if name.endswith(ARCHIVES):
        return SourceError(str(path), "archives are not unpacked (nothing inside is read); extract it into "
                                      "the folder and ingest again")
    return SkippedSource(str(path), f"skipped: unsupported file type {path.suffix or '(none)'}; expected one of "
                                    f"{supported}, or {_FORMATS}")


def _malformed(path: Path) -> str:
    """A one-line reason when the JSON/XML file does not parse, "" when it does (or is too big to check)."""
    try:
        if path.stat().st_size > _CHECK_BYTES:
            return ""
        data = path.read_bytes()
        if path.name.lower().endswith(".gz"):
            data = _gunzip(data)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile, ValueError) as exc:
        return f"could not read file ({type(exc).__name__}: {exc})"
    if not data.strip():
        return "file is empty"
    if ".xml" in path.name.lower():
        return _xml_problem(data)
    return _json_problem(data, ndjson=".ndjson" in path.name.lower())


def _gunzip(data: bytes) -> bytes:
    out = gzip.GzipFile(fileobj=io.BytesIO(data)).read(_CHECK_BYTES + 1)
    if len(out) > _CHECK_BYTES:
        raise ValueError(f"expands to over {_CHECK_BYTES // 10**6} MB")
    return out


def _xml_problem(data: bytes) -> str:
    from lxml import etree

    # No entities, no network, default size limits: checking a file must not expand or fetch anything.
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        return f"malformed XML ({exc})"
    return ""


def _json_problem(data: bytes, ndjson: bool) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 JSON (byte {exc.start})"
    lines = [(i, ln) for i, ln in enumerate(text.splitlines(), 1) if ln.strip()] if ndjson else [(1, text)]
    for lineno, chunk in lines:
        try:
            json.loads(chunk)
        except json.JSONDecodeError as exc:
            return f"malformed JSON ({exc.msg} at line {exc.lineno if not ndjson else lineno}, column {exc.colno})"
    return ""
