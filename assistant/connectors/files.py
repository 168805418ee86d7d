"""Files: .txt, .md, .html, .pdf and .docx, alone or in folders (walked recursively, in a stable order)."""

from __future__ import annotations

import json
import os
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, Iterator, Sequence

from assistant.connectors.encoding import NotText, decode_text
from assistant.connectors.html import html_to_text
from assistant.connectors.pdf import read_pdf
from assistant.connectors.word import read_docx
from assistant.core.errors import SourceError
from assistant.core.types import Document

TEXT_SUFFIXES = {".txt": "text", ".text": "text", ".md": "markdown", ".markdown": "markdown",
                 ".html": "html", ".htm": "html"}
BINARY_READERS = {".pdf": read_pdf, ".docx": read_docx}
SUPPORTED = sorted(set(TEXT_SUFFIXES) | set(BINARY_READERS))
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_BINARY_BYTES = 200 * 1024 * 1024


def walk_files(root: Path, suffixes=None, include: Sequence[str] = (), exclude: Sequence[str] = (),
               refused: list[SourceError] | None = None) -> list[Path]:
    """Files under `root` with one of `suffixes` (lower-case, with the dot; None = any), sorted for a
    stable ingest order, skipping hidden files and folders (.git, editor backups). `include` /
    `exclude` are globs matched against the path relative to `root` and against the file name
    (`*.pdf`, `contracts/*`, `*draft*`), ignoring case: a file must match some include (if any) and no
    exclude.
    Symbolic links are never followed: one that leads outside `root` (or nowhere) is appended to
    `refused` as an error, so ingesting a folder reads nothing outside it; one that leads inside is
    skipped, its target being walked under its own path (one document, one id)."""
    out = []
    real_root = root.resolve()
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_symlink():
            problem = _link_problem(p, real_root)
            if problem and refused is not None:
                refused.append(SourceError(str(p), problem))
            continue  # a link inside the folder: its target is walked under its own path
        if not p.is_file():
            continue
        if suffixes is not None and p.suffix.lower() not in suffixes:
            continue
        # Case-insensitive on every system: "*.pdf" must find REPORT.PDF (most scanners and Windows
        # exports write upper-case extensions), and fnmatch is case-sensitive on Linux.
        names = (rel.as_posix().lower(), p.name.lower())
        if include and not any(fnmatchcase(n, g.lower()) for g in include for n in names):
            continue
        if any(fnmatchcase(n, g.lower()) for g in exclude for n in names):
            continue
        out.append(p)
    return sorted(out)


def source_files(path: Path, endings: tuple[str, ...], missing: str, empty: str) -> list[Path]:
    """What a file-or-folder connector reads: `path` itself, or the files under it (walk_files) whose
    names end with one of `endings` (lower case, ".xml", ".ndjson.gz"). Raises SourceError "path does
    not exist; <missing>" or <empty> (a folder with none of them), each naming what was expected."""
    if not path.exists():
        raise SourceError(str(path), f"path does not exist; {missing}")
    if path.is_file():
        return [path]
    suffixes = {"." + e.rsplit(".", 1)[-1] for e in endings}
    files = [f for f in walk_files(path, suffixes) if f.name.lower().endswith(endings)]
    if not files:
        raise SourceError(str(path), empty)
    return files


def _link_problem(link: Path, real_root: Path) -> str:
    """Why a symbolic link under `real_root` is refused, or "" when it leads inside it."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):  # missing target, or a loop
        return f"symbolic link to {os.readlink(link)!r} leads to nothing readable; remove it or fix its target"
    if target != real_root and real_root not in target.parents:
        return (f"symbolic link points outside the ingested folder (to {target}); nothing outside {real_root} "
                "is read: copy the file into the folder instead")
    return ""


def read_text_file(path: Path) -> str:
    return read_text_with_encoding(path)[0]


def read_text_with_encoding(path: Path) -> tuple[str, str]:
    """Decode a text file (see connectors.encoding: byte-order marks, UTF-8, UTF-16/32, then a guess
    preferring cp1252); the encoding is returned so the ingest summary can warn about a non-UTF-8 one. Raises SourceError for missing, unreadable,
    empty, binary, oversized or undecodable files."""
    try:
        size = path.stat().st_size
        data = path.read_bytes() if size <= MAX_FILE_BYTES else b""
    except OSError as exc:
        raise SourceError(str(path), f"could not read file: {exc.strerror or exc}") from None
    if size > MAX_FILE_BYTES:
        raise SourceError(str(path), f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 10**6} MB limit "
                                     "for one text file; split it into smaller files")
    if not data.strip():
        raise SourceError(str(path), "file is empty")
    try:
        text, encoding = decode_text(data)
    except NotText as exc:
        raise SourceError(str(path), str(exc)) from None
    if not text.strip():
        raise SourceError(str(path), "file is empty")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(5, len(text) // 100):
        raise SourceError(str(path), "file looks binary (many control characters), expected text")
    return text.replace("\r\n", "\n").replace("\r", "\n"), encoding


def read_json_file(path: Path, max_bytes: int, expected: str) -> Any:
    """A whole (UTF-8) JSON file parsed, or SourceError naming `expected` (e.g. 'a ContractNLI split
    {"documents": [...]}') when it is missing, too big, not UTF-8 or malformed."""
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise SourceError(str(path), f"file is {size / 1e6:.0f} MB, over the {max_bytes // 10**6} MB limit "
                                         f"for one JSON file; expected {expected}; split it")
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(str(path), f"could not read file, expected {expected} in UTF-8: {exc}") from None
    except json.JSONDecodeError as exc:
        raise SourceError(str(path), f"malformed JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}); "
                                     f"expected {expected}") from None


class FileConnector:
    """Each file becomes one Document whose id is its path relative to the folder's parent
    (`PATH/health/asthma.md` given as `PATH/health` → `health/asthma.md`), stable across runs.
    `id_root`: for a single file found inside a folder walk, the folder its id is relative to.
    Sources are absolute paths, so `--prune` can tell which documents came from under a folder."""

    def __init__(self, path: str | Path, *, id_root: str | Path | None = None,
                 include: Sequence[str] = (), exclude: Sequence[str] = ()) -> None:
        self.path = Path(path).expanduser().resolve()
        self.id_root = Path(id_root).expanduser().resolve() if id_root else None
        self.include, self.exclude = tuple(include), tuple(exclude)

    def iter_documents(self) -> Iterator[Document | Exception]:
        if not self.path.exists():
            yield SourceError(str(self.path), "path does not exist")
            return
        if self.path.is_file():
            root = self.id_root
            yield self._read(self.path, f"{root.name}/{self.path.relative_to(root).as_posix()}" if root else self.path.name)
            return
        refused: list[SourceError] = []
        for file in walk_files(self.path, SUPPORTED, self.include, self.exclude, refused):
            yield self._read(file, f"{self.path.name}/{file.relative_to(self.path).as_posix()}")
        yield from refused

    def _read(self, file: Path, doc_id: str) -> Document | Exception:
        suffix = file.suffix.lower()
        if suffix not in SUPPORTED:
            return SourceError(str(file), f"unsupported file type {file.suffix or '(none)'}; "
                                          f"expected one of {', '.join(SUPPORTED)}, .csv or .jsonl")
        try:
            title, text, metadata = _read_any(file, suffix)
        except SourceError as exc:
            return exc
        except (OSError, ValueError) as exc:
            return SourceError(str(file), f"could not read file: {exc}")
        except Exception as exc:  # noqa: BLE001 - parsers (lxml, pypdf, python-docx) raise assorted errors
            return SourceError(str(file), f"could not read file ({type(exc).__name__}: {exc})")
        if not text.strip():
            return SourceError(str(file), "file has no text")
        try:
            return Document(id=doc_id, text=text, title=title or _title_from_name(file), source=str(file),
                            uri=file.resolve().as_uri(), metadata=metadata)
        except ValueError as exc:  # an id (the file name) with control or bidi characters
            return SourceError(str(file), str(exc))


def _read_any(file: Path, suffix: str) -> tuple[str, str, dict]:
    if suffix in BINARY_READERS:
        size = file.stat().st_size
        if size == 0:
            raise SourceError(str(file), "file is empty")
        if size > MAX_BINARY_BYTES:
            raise SourceError(str(file), f"file is {size / 1e6:.0f} MB, over the {MAX_BINARY_BYTES // 10**6} MB "
                                         "limit; split it")
        return BINARY_READERS[suffix](file)
    kind = TEXT_SUFFIXES[suffix]
    raw, encoding = read_text_with_encoding(file)
    title, text, metadata = _read_text_kind(kind, raw)
    if encoding != "utf-8":  # kept so the ingest summary can warn: a guessed encoding can garble accents
        metadata["encoding"] = encoding
    return title, text, metadata


def _read_text_kind(kind: str, raw: str) -> tuple[str, str, dict]:
    if kind == "html":
        title, text = html_to_text(raw)
        return title, text, {"format": kind}
    m = re.search(r"^#[ \t]+(.+?)[ \t#]*$", raw, re.MULTILINE) if kind == "markdown" else None
    return (m.group(1).strip() if m else ""), raw, {"format": kind}


def _title_from_name(file: Path) -> str:
    return re.sub(r"[-_]+", " ", file.stem).strip().capitalize() or file.name
