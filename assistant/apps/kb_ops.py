"""What the Knowledge base tab does to a KB, always as one user: upload and ingest, list, delete and
re-sync — each limited to the documents that user's groups may see and, for changes, to those their
roles let them change (`assistant.users.may_write`; `user=None`: the local, single-user page, which
sees and changes everything). Ingestion is `KnowledgeBase.ingest` over the project's
connectors and the upload handling is `assistant.uploads` (shared with the API); this module only adds
what the page needs: the user's ACL and progress ticks."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable, Iterator

from assistant.connectors import connector_for
from assistant.core.errors import AssistantError
from assistant.core.users import User, filters_for
from assistant.ingest.catalog import DocumentRecord
from assistant.ingest.kb import IngestReport, KnowledgeBase
from assistant.ingest.uploads import FOLDER as UPLOADS
from assistant.ingest.uploads import (
    delete_visible,
    ingest_files,
    resync_folder,
    uploaded_file,
)

Tick = Callable[[int, "int | None"], None]  # told (inputs read so far, how many there are if known)


def upload(kb: KnowledgeBase, files: list[str | Path], acl: tuple[str, ...], tick: Tick | None = None, *,
           user: User | None = None) -> IngestReport:
    """Stores the uploads under KB/uploads/<acl>/ and ingests them with that ACL. An unreadable file
    becomes an entry in the report's errors and the previous version of it stays in the KB. `user`: who
    uploads (None: the local page), so no upload replaces a document of groups the user is not in."""
    if not files:
        raise AssistantError("nothing to ingest: choose one or more files (or a .zip) first")
    # The page's files are temporary copies; the core reads each one once it knows its size is allowed.
    named = [(Path(f).name, Path(f)) for f in files]
    return ingest_files(kb, named, acl, user, wrap=_ticks(tick))


def documents(kb: KnowledgeBase, user: User | None) -> list[DocumentRecord]:
    return kb.catalog.documents(filters_for(user))


def delete(kb: KnowledgeBase, doc_id: str, user: User | None) -> str:
    """Deletes a document the user can see (an uploaded one also from the uploads folder, so a re-sync
    does not bring it back). Returns what happened, for the page."""
    record = delete_visible(kb, doc_id, user)
    if record is None:  # absent and not permitted read the same: the page must not confirm it exists
        raise AssistantError(f"document {doc_id!r}: expected one in your document list, found none; refresh it")
    if uploaded_file(kb, record) is not None:
        return f"Deleted {doc_id} and its uploaded file."
    return (f"Deleted {doc_id} from the knowledge base. Its source file {record.source} is still there: a re-sync "
            "of its folder would ingest it again." if record.source else f"Deleted {doc_id}.")


def sync_folders(kb: KnowledgeBase, user: User | None) -> list[str]:
    """Folders the user's visible documents were ingested from (files only; records have no folder)."""
    uploads = kb.path.resolve() / UPLOADS
    folders = set()
    for record in documents(kb, user):
        source = Path(record.source) if record.source else None
        if source is None or not source.is_absolute():
            continue
        if source.is_relative_to(uploads):
            folders.add(str(uploads / source.relative_to(uploads).parts[0]))
            continue
        # A folder ingest names each file "<folder name>/<path inside it>", so the id locates the folder.
        rel = Path(*Path(record.id).parts[1:]) if len(Path(record.id).parts) > 1 else None
        if rel is not None and source.as_posix().endswith("/" + rel.as_posix()):
            folders.add(str(Path(source.as_posix()[: -len(rel.as_posix()) - 1])))
    return sorted(folders)


def resync(kb: KnowledgeBase, folder: str, user: User | None, tick: Tick | None = None) -> IngestReport:
    """Re-reads one of `sync_folders`: new and changed files are ingested, documents whose file is gone
    are deleted, and a file that fails to read keeps its previous version."""
    if folder not in sync_folders(kb, user):
        raise AssistantError(f"re-sync {folder!r}: expected one of the folders your documents came from, found "
                             "none; refresh the list")
    path = Path(folder)
    if path.is_relative_to(kb.path.resolve() / UPLOADS):
        return resync_folder(kb, path, user, _ticks(tick))
    if not path.is_dir():
        raise AssistantError(f"re-sync {folder}: the folder is gone; delete its documents one by one instead")
    return kb.ingest(_counted(connector_for(path).iter_documents(), tick, None), prune_scopes=[path])


def _ticks(tick: Tick | None):
    return (lambda items, total: _counted(items, tick, total)) if tick else None


def _counted(items: Iterable, tick: Tick | None, total: int | None) -> Iterator:
    for n, item in enumerate(items, 1):
        if tick is not None:
            tick(n, total)
        yield item

