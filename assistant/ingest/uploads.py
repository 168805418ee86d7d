"""Documents uploaded by the page or the API: files (a zip is unpacked) or plain text records, ingested
under an ACL, with one error entry per input that could not be taken. Both front ends call this module,
so an upload behaves the same however it arrives.

Files are kept where the KB keeps them, `KB/uploads/<group folder>/<name>`. The folder name is the
documents' ACL ("nurses", "nurses+pharmacy"; "~public" for none; "+" and "~" cannot occur in group
names, which `users.check_groups` validates before any folder is named), and every path written is
checked to resolve inside KB/uploads, so no upload can write anywhere else. A re-sync of the folder
gives its files the same ACL again, and the ids of two groups' uploads ("uploads/nurses/leaflet.md")
never collide: one group's upload can never replace another group's document. Text records name their
ids; a signed-in caller's ids are namespaced the same way (`uploads/<group folder>/<id>`), so an upload
can neither replace nor detect a document of groups the caller is not in. Only plain document formats
are accepted: record files (.csv, .jsonl) name their own ids. Who may replace or delete what is
`users.may_write`: editors of all of a document's groups, or an admin."""

from __future__ import annotations

import hashlib
import re
import shutil
import zipfile
from dataclasses import dataclass, field, replace
from io import BytesIO
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator, Sequence

from assistant.core.errors import SourceError
from assistant.core.metadata import record_metadata
from assistant.core.types import Document, SearchFilter
from assistant.core.users import AccessDenied, User, check_groups, may_write, visible
from assistant.ingest.catalog import DocumentRecord
from assistant.ingest.kb import IngestReport, KnowledgeBase

FOLDER = "uploads"
PUBLIC = "~public"
_UNSAFE = re.compile(r"[^A-Za-z0-9 ._()+-]+")

# (inputs read so far, how many there are) → the same items; lets the page count them for its progress bar
Wrap = Callable[[Iterator, int], Iterator]


@dataclass(frozen=True)
class UploadLimits:
    # Per upload, zip members included. A folder of documents zipped up easily holds hundreds of files;
    # the byte limits below, not the count, are what bound the work one upload can cause.
    files: int = 2000
    file_bytes: int = 16 << 20  # per file, and per unpacked zip member
    unpacked_bytes: int = 128 << 20  # all zip members of one upload together (a zip bomb stops here)


@dataclass(frozen=True)
class TextDocument:
    text: str
    id: str = ""  # default: uploads/<title or the text's hash>
    title: str = ""
    domain: str = ""
    metadata: dict | None = None


def group_folder(acl: Sequence[str]) -> str:
    acl = check_groups(acl, "upload groups")  # a folder name: never "..", "/x" or "a/b"
    return "+".join(sorted(acl)) if acl else PUBLIC


def folder_acl(name: str) -> tuple[str, ...]:
    return () if name == PUBLIC else tuple(name.split("+"))


def safe_name(name: str) -> str:
    """A file name without folders, hidden-file dots or characters a path or a shell could misread; it is
    also part of a document id."""
    base = PurePosixPath(str(name).replace("\\", "/")).name
    cleaned = _UNSAFE.sub("_", base).strip(" .")
    if len(cleaned) > 120:  # keep the suffix: it decides how the file is read
        suffix = PurePosixPath(cleaned).suffix[:16]
        cleaned = cleaned[: 120 - len(suffix)] + suffix
    return cleaned or "upload"


@dataclass
class Staged:
    """Files placed under the uploads folder, and the inputs that could not be (as errors)."""

    root: Path  # KB/uploads, resolved: nothing is written outside it
    files: list[Path] = field(default_factory=list)
    errors: list[Exception] = field(default_factory=list)
    # file → its previous content, kept until the ingest says whether the new one could be read
    previous: dict[Path, bytes] = field(default_factory=dict)
    count: int = 0  # inputs taken so far, zip members included
    unpacked: int = 0  # bytes of zip members taken so far


def ingest_files(kb: KnowledgeBase, files: Sequence[tuple[str, bytes | Path]], acl: Sequence[str],
                 caller: User | None, domain: str | None = None,
                 limits: UploadLimits = UploadLimits(), wrap: Wrap | None = None) -> IngestReport:
    """`files`: (file name, content or a file holding it). `acl`: the groups the new documents are visible
    to (empty: everyone), from `users.upload_acl`. `caller`: None for a trusted local caller, else the
    user whose roles decide which documents it may replace. An unreadable new version of a file becomes
    an error and the previous one stays."""
    from assistant.connectors.files import SUPPORTED

    _check_acl(caller, acl)
    uploads = kb.path.resolve() / FOLDER
    # Held from the first write to the restore: a concurrent upload of the same name must not see (or
    # keep) the other's half-finished state.
    with kb.lock:
        staged = stage(files, uploads / group_folder(acl), limits, SUPPORTED, root=uploads)
        report = ingest_stored(kb, staged.files, acl, caller, domain, wrap, errors=staged.errors)
        restore_failed(staged, report.errors)
    # Sources relative to the KB: the caller named a file, not a path on the server.
    root = str(kb.path.resolve()) + "/"
    report.errors = [{**e, "source": e["source"].removeprefix(root)} for e in report.errors]
    return report


def ingest_stored(kb: KnowledgeBase, files: Sequence[Path], acl: Sequence[str], caller: User | None,
                  domain: str | None = None, wrap: Wrap | None = None, errors: Sequence[Exception] = (),
                  prune: Path | None = None) -> IngestReport:
    """Ingest files already under KB/uploads (an upload, or a re-sync of a group folder with `prune`)."""
    from assistant.connectors import FileConnector

    uploads = kb.path.resolve() / FOLDER

    def documents() -> Iterator[Document | Exception]:
        for file in files:
            yield from FileConnector(file, id_root=uploads).iter_documents()

    items = wrap(documents(), len(files)) if wrap else documents()
    return ingest_records(kb, [*errors, *items], acl, caller, domain, prune)


def resync_folder(kb: KnowledgeBase, folder: Path, caller: User | None,
                  wrap: Wrap | None = None) -> IngestReport:
    """Re-read one group folder of KB/uploads, whoever uploaded its files: new and changed files are
    ingested with the folder's ACL, documents whose file is gone are deleted (so only a caller who may
    write that ACL may re-sync it)."""
    from assistant.connectors.files import SUPPORTED, walk_files

    uploads = kb.path.resolve() / FOLDER
    if folder.resolve().parent != uploads:
        raise AccessDenied(f"re-sync {folder}: expected a group folder directly under {uploads}", "invalid_folder", 422)
    acl = folder_acl(folder.name)
    if not may_write(caller, acl):
        raise AccessDenied(f"re-sync {folder.name}: you may read these documents but not change them; ask an editor "
                           f"of {list(acl) or 'public documents (an admin)'}", "read_only")
    files = walk_files(folder, set(SUPPORTED)) if folder.is_dir() else []
    return ingest_stored(kb, files, acl, caller, wrap=wrap, prune=folder)


def text_id(document: TextDocument, acl: Sequence[str], caller: User | None) -> str:
    """The id a text record is stored under. A signed-in caller's ids live in their ACL's namespace
    (`uploads/nurses/<id>`), like their files: no record can reach, or reveal, another group's id."""
    base = safe_name(document.title).replace(" ", "-") if document.title.strip() else _digest(document.text)
    given = document.id.strip().strip("/") or f"{FOLDER}/{base}"
    if caller is None:
        return given
    prefix = f"{FOLDER}/{group_folder(acl)}/"
    return given if given.startswith(prefix) else prefix + given.removeprefix(f"{FOLDER}/")


def ingest_texts(kb: KnowledgeBase, documents: Sequence[TextDocument], acl: Sequence[str],
                 caller: User | None, domain: str | None = None) -> IngestReport:
    items: list[Document | Exception] = []  # ingest_records checks the caller may write `acl`
    for n, d in enumerate(documents, 1):
        name = text_id(d, acl, caller)
        try:  # an API record's fields live apart from the keys the stages read (assistant.metadata)
            items.append(Document(id=name, text=d.text, title=d.title or name, source=f"upload:{d.title or name}",
                                  domain=d.domain, metadata=record_metadata(d.metadata or {})))
        except ValueError as exc:  # a bad id (control characters) or a mistyped date: this record only
            items.append(SourceError(f"documents[{n - 1}]", str(exc)))
    return ingest_records(kb, items, acl, caller, domain)


def ingest_records(kb: KnowledgeBase, items: Iterable[Document | Exception], acl: Sequence[str],
                   caller: User | None, domain: str | None = None,
                   prune: Path | None = None) -> IngestReport:
    """Ingest `items` under `acl`; an id that names a document `caller` may not change is an error."""
    _check_acl(caller, acl)

    def checked() -> Iterator[Document | Exception]:  # lazy, so a progress wrapper counts as files are read
        for item in items:
            if isinstance(item, Document):
                existing = kb.catalog.document(item.id)
                if caller is not None and existing is not None and not (
                        visible(existing.acl, caller.groups) and may_write(caller, existing.acl)):
                    # Hidden and read-only read alike: the message never tells that a hidden id exists.
                    item = SourceError(item.source or item.id, (
                        f"you may not change a document with id {item.id!r}; expected a new id or one of the "
                        "documents you edit: rename the file (or give another id) and upload again"))
                else:
                    item = replace(item, acl=tuple(acl))
            yield item

    # kb.ingest holds the KB's lock while it reads `checked()`: no request slips a document in between.
    return kb.ingest(checked(), domain=domain, prune_scopes=[prune] if prune else ())


def delete_visible(kb: KnowledgeBase, doc_id: str, caller: User | None) -> DocumentRecord | None:
    """Deletes a document the caller may see and change (`caller` None: a trusted local caller) and, for
    an uploaded one, its file under KB/uploads, so a re-sync of the folder does not bring it back. None
    when the document is absent or hidden: the two must read the same to the caller. AccessDenied when
    the caller sees it but may only read it."""
    with kb.lock:  # the check and the delete together: no upload can change its ACL in between
        found = kb.catalog.documents(SearchFilter(doc_ids=(doc_id,),
                                                  groups=None if caller is None else caller.groups))
        if not found:
            return None
        record = found[0]
        if not may_write(caller, record.acl):
            raise AccessDenied(f"document {doc_id!r}: you may read it but not delete it; its groups are "
                               f"{list(record.acl) or 'none (public: only an admin may change it)'}", "read_only",
                               param="doc_id")
        kb.delete_document(doc_id)
        file = uploaded_file(kb, record)
        if file is not None:
            file.unlink(missing_ok=True)
    return record


def uploaded_file(kb: KnowledgeBase, record: DocumentRecord) -> Path | None:
    """The file under KB/uploads a document was read from; None for any other source."""
    source = Path(record.source) if record.source else None
    return source if source is not None and source.is_relative_to(kb.path.resolve() / FOLDER) else None


def stage(files: Sequence[tuple[str, bytes | Path]], folder: Path, limits: UploadLimits,
          supported: Sequence[str], root: Path | None = None) -> Staged:
    """Writes each upload (a zip: its members, keeping their sub-folders) into `folder`, which must lie
    inside `root` (default: `folder` itself)."""
    out = Staged(root=(root or folder).resolve())
    written: set[Path] = set()
    for name, content in files:
        safe = safe_name(name)
        size = len(content) if isinstance(content, bytes) else Path(content).stat().st_size
        if safe.lower().endswith(".zip"):
            if _fits(name, size, limits, out):
                _unzip(name, content, folder / Path(safe).stem, limits, supported, out, written)
        elif _accepted(safe, name, size, limits, supported, out):
            data = content if isinstance(content, bytes) else Path(content).read_bytes()
            _place(data, folder / safe, name, out, written)
    return out


def restore_failed(staged: Staged, errors: list[dict[str, str]]) -> None:
    """Puts back the previous version of every staged file the ingest could not read (or removes a new
    one), so the folder keeps matching what the KB holds and a later re-sync does not retry garbage."""
    failed = {e["source"] for e in errors}
    for file in staged.files:
        if str(file) in failed:
            if file in staged.previous:
                file.write_bytes(staged.previous[file])
            else:
                file.unlink(missing_ok=True)


def _fits(label: str, size: int, limits: UploadLimits, out: Staged) -> bool:
    # A zip itself may be as large as what it unpacks to; its members then meet the per-file limit.
    limit = limits.unpacked_bytes if label.lower().endswith(".zip") else limits.file_bytes
    if size > limit:
        out.errors.append(SourceError(label, f"file is {size:,} bytes, over the limit of {limit:,} "
                                             "per file; split it or raise the server's upload limit"))
        return False
    return True


def _accepted(name: str, label: str, size: int, limits: UploadLimits, supported: Sequence[str], out: Staged) -> bool:
    suffix = PurePosixPath(name).suffix.lower()
    if suffix not in supported:
        out.errors.append(SourceError(label, f"unsupported file type {suffix or '(none)'}; expected one of "
                                             f"{', '.join(supported)} or a .zip of them"))
        return False
    if not _fits(label, size, limits, out):
        return False
    if out.count >= limits.files:
        out.errors.append(SourceError(label, f"more than {limits.files} files in one upload; send the rest in another"))
        return False
    out.count += 1
    return True


def _place(data: bytes, target: Path, label: str, out: Staged, written: set[Path]) -> None:
    if not _confined(target, out.root):
        out.errors.append(SourceError(label, f"would be written outside the uploads folder {out.root.name}/; "
                                             "expected a plain file name; nothing was written"))
        return
    if target in written:
        out.errors.append(SourceError(label, f"another file in this upload is also named {target.name!r}; "
                                             "expected unique names"))
        return
    try:
        previous = target.read_bytes() if target.is_file() else None
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.part")  # hidden: a re-sync never reads a half-written file
        tmp.write_bytes(data)
        tmp.replace(target)
    except OSError as exc:  # e.g. a zip member whose folder is another member's file name
        out.errors.append(SourceError(label, f"could not store the file ({exc.strerror or exc})"))
        return
    if previous is not None:
        out.previous[target] = previous
    written.add(target)
    out.files.append(target)


def _unzip(name: str, content: bytes | Path, folder: Path, limits: UploadLimits, supported: Sequence[str],
           out: Staged, written: set[Path]) -> None:
    try:
        archive = zipfile.ZipFile(BytesIO(content) if isinstance(content, bytes) else content)
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        out.errors.append(SourceError(name, f"not a readable zip ({exc}); expected a .zip of "
                                            f"{', '.join(supported)} files"))
        return
    # The whole zip is refused up front rather than half-ingested: "split it" is then a clear retry.
    if out.count + len(members) > limits.files:
        out.errors.append(SourceError(name, f"zip holds {len(members)} files, over the limit of {limits.files} "
                                            "files per upload; split it into several zips"))
        return
    total = sum(m.file_size for m in members)  # as declared; reading stops at the declared size
    if out.unpacked + total > limits.unpacked_bytes:
        out.errors.append(SourceError(name, f"zip unpacks to {total:,} bytes, over the limit of "
                                            f"{limits.unpacked_bytes:,} per upload; split it"))
        return
    out.unpacked += total
    with archive:
        for member in members:
            path = PurePosixPath(member.filename.replace("\\", "/"))
            label = f"{name}:{member.filename}"
            if ".." in path.parts or path.is_absolute():  # would escape the folder
                out.errors.append(SourceError(label, "path leaves the zip's folder; skipped"))
                continue
            if not path.parts or any(p.startswith((".", "__MACOSX")) for p in path.parts):  # OS litter (.DS_Store)
                continue
            if not _accepted(path.name, label, member.file_size, limits, supported, out):
                continue
            try:
                data = archive.read(member)
            except (zipfile.BadZipFile, OSError, ValueError, RuntimeError, NotImplementedError) as exc:
                # RuntimeError: an encrypted member; NotImplementedError: an unsupported compression method
                out.errors.append(SourceError(label, f"could not unpack ({exc})"))
                continue
            _place(data, folder.joinpath(*[safe_name(p) for p in path.parts]), label, out, written)
    if folder.is_dir() and not any(folder.iterdir()):
        shutil.rmtree(folder, ignore_errors=True)


def _confined(target: Path, root: Path) -> bool:
    """Whether `target` resolves inside `root`, every symlink on the way followed (a folder linked out
    of the KB included)."""
    try:
        return target.resolve().is_relative_to(root)
    except (OSError, RuntimeError):  # a symlink loop
        return False


def _check_acl(caller: User | None, acl: Sequence[str]) -> None:
    check_groups(acl, "upload groups")
    if caller is not None and not may_write(caller, acl):
        raise AccessDenied(f"groups {list(acl) or ['(public)']}: you may not add documents there; expected groups "
                           f"where you are an editor: {list(caller.writable_groups)}", "forbidden_group")


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
