"""Documents sent over the network (the API's uploads, the page's file picker): files (a zip is unpacked)
or plain text records, ingested under an ACL, with one error entry per input that could not be taken.

Uploaded files are read by the same connectors as `assistant ingest` (from a private temporary folder
named `uploads`, so their ids read `uploads/NAME`). A caller restricted to some groups may replace or
add only documents they can see: an upload whose id belongs to a document of other groups is refused,
never silently overwritten."""

from __future__ import annotations

import hashlib
import re
import tempfile
import zipfile
from dataclasses import dataclass, replace
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Iterable, Sequence

from .errors import SourceError
from .kb import IngestReport, KnowledgeBase
from .retrieval import visible
from .types import Document

FOLDER = "uploads"
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+-]+")


@dataclass(frozen=True)
class UploadLimits:
    files: int = 64  # inputs per upload, zip members included
    file_bytes: int = 16 << 20  # per file, and per unpacked zip member
    unpacked_bytes: int = 128 << 20  # all zip members of one upload together (a zip bomb stops here)


@dataclass(frozen=True)
class TextDocument:
    text: str
    id: str = ""  # default: uploads/<title or the text's hash>
    title: str = ""
    domain: str = ""
    metadata: dict | None = None


def ingest_files(kb: KnowledgeBase, files: Sequence[tuple[str, bytes]], acl: Sequence[str],
                 caller_groups: Sequence[str] | None, domain: str | None = None,
                 limits: UploadLimits = UploadLimits()) -> IngestReport:
    """`files`: (file name, content). `acl`: the groups the new documents are visible to (empty: everyone).
    `caller_groups`: None for a trusted local caller, else who may replace which existing document."""
    from connectors import FolderConnector

    with tempfile.TemporaryDirectory(prefix="assistant-upload-") as tmp:
        root = Path(tmp).resolve() / FOLDER
        root.mkdir()
        errors = _unpack(files, root, limits)
        # include "*": without a glob a folder walk skips unsupported files silently; an upload reports them.
        written = any(p.is_file() for p in root.rglob("*"))
        items = [_relabel(item, root) for item in FolderConnector(root, include=("*",)).iter_documents()] if written else []
        return ingest_records(kb, [*errors, *items], acl, caller_groups, domain)


def ingest_texts(kb: KnowledgeBase, documents: Sequence[TextDocument], acl: Sequence[str],
                 caller_groups: Sequence[str] | None, domain: str | None = None) -> IngestReport:
    items: list[Document | Exception] = []
    for n, d in enumerate(documents, 1):
        base = _safe_name(d.title).replace(" ", "-") if d.title.strip() else _digest(d.text)
        name = d.id or f"{FOLDER}/{base}"
        try:
            items.append(Document(id=name, text=d.text, title=d.title or name, source=f"upload:{d.title or name}",
                                  domain=d.domain, metadata=dict(d.metadata or {})))
        except ValueError as exc:
            items.append(SourceError(f"documents[{n - 1}]", str(exc)))
    return ingest_records(kb, items, acl, caller_groups, domain)


def ingest_records(kb: KnowledgeBase, items: Iterable[Document | Exception], acl: Sequence[str],
                   caller_groups: Sequence[str] | None, domain: str | None) -> IngestReport:
    """Ingest `items` under `acl`; an id that names a document `caller_groups` cannot see is an error."""
    # Held across the check and the ingest, so no other request can slip a document in between.
    with kb.lock:
        checked: list[Document | Exception] = []
        for item in items:
            if isinstance(item, Document):
                existing = kb.catalog.document(item.id)
                if caller_groups is not None and existing is not None and not visible(existing.acl, tuple(caller_groups)):
                    item = SourceError(item.source or item.id, (
                        f"a document with id {item.id!r} already exists and belongs to groups you are not in; "
                        "expected a new id: rename the file (or give another id) and upload again"))
                else:
                    item = replace(item, acl=tuple(acl))
            checked.append(item)
        return kb.ingest(checked, domain=domain)


def _unpack(files: Sequence[tuple[str, bytes]], root: Path, limits: UploadLimits) -> list[Exception]:
    """Write the uploads under `root`; what cannot be taken becomes an error naming the file."""
    errors: list[Exception] = []
    count, unpacked = 0, 0
    for name, data in files:
        safe = _safe_name(name)
        if len(data) > limits.file_bytes:
            errors.append(SourceError(name, f"file is {len(data):,} bytes, over the limit of {limits.file_bytes:,} "
                                            "per file; split it or raise the server's upload limit"))
            continue
        if not safe.lower().endswith(".zip"):
            count += 1
            errors += _write(root / safe, data, name, count, limits)
            continue
        try:
            archive = zipfile.ZipFile(BytesIO(data))
            members = [m for m in archive.infolist() if not m.is_dir()]
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            errors.append(SourceError(name, f"not a readable zip archive ({exc}); expected a .zip of documents"))
            continue
        for member in members:
            label = f"{name}:{member.filename}"
            parts = [_safe_name(p) for p in PurePosixPath(member.filename).parts if p not in ("", ".", "..", "/")]
            if member.file_size > limits.file_bytes or unpacked + member.file_size > limits.unpacked_bytes:
                errors.append(SourceError(label, f"unpacks to {member.file_size:,} bytes, over the limit of "
                                                 f"{limits.file_bytes:,} per file ({limits.unpacked_bytes:,} per "
                                                 "upload); split the archive"))
                continue
            count += 1
            unpacked += member.file_size
            try:
                content = archive.read(member)
            except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
                errors.append(SourceError(label, f"could not unpack ({exc})"))
                continue
            errors += _write(root.joinpath(Path(safe).stem, *parts), content, label, count, limits)
    return errors


def _write(path: Path, data: bytes, label: str, count: int, limits: UploadLimits) -> list[Exception]:
    if count > limits.files:
        return [SourceError(label, f"more than {limits.files} files in one upload; send the rest in another")]
    if path.exists():
        return [SourceError(label, f"another file in this upload is also named {path.name!r}; expected unique names")]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return []


def _relabel(item: Document | Exception, root: Path) -> Document | Exception:
    """Sources as the caller named them: the temporary folder is gone once the ingest returns."""
    if isinstance(item, Document):
        rel = item.source[len(str(root)) + 1:] if item.source.startswith(str(root)) else item.source
        return replace(item, source=f"upload:{rel}", uri="")
    if isinstance(item, SourceError) and item.source.startswith(str(root)):
        return SourceError(item.source[len(str(root)) + 1:], str(item))
    return item


def _safe_name(name: str) -> str:
    """A file name without folders, hidden-file dots or characters a path or a shell could misread."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    return cleaned[:120] or "upload"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
