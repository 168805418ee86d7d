"""A knowledge base on disk: manifest.json + catalog.sqlite (documents, chunks, FTS5) + dense.faiss."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import threading
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from assistant.core.errors import KnowledgeBaseError, SkippedSource
from assistant.core.metadata import check_internal
from assistant.core.settings import Settings
from assistant.core.types import Chunk, Document
from assistant.embedding.embedder import Embedder
from assistant.indexes import FAISS_DESCRIPTOR, index_descriptor, open_vector_index
from assistant.ingest.catalog import Catalog
from assistant.ingest.chunking import SentenceChunker
from assistant.ingest.error_boundary import SourceCrash, error_entry, until_crash
from assistant.ingest.redaction import RedactionConfig, Redactor, redact_document
from assistant.ingest.throughput import Throughput, prefetch, stage, waited

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
EMBED_BATCH_CHUNKS = 256
PREFETCH_DOCUMENTS = 64


@dataclass
class IngestReport:
    documents_added: int = 0
    documents_updated: int = 0
    documents_unchanged: int = 0
    documents_pruned: int = 0
    chunks_added: int = 0
    chunks_reused: int = 0  # embeddings reused from an unchanged passage instead of computed again
    redactions: dict[str, int] = field(default_factory=dict)  # placeholder type → count, never the values
    seconds: float = 0.0
    errors: list[dict[str, str]] = field(default_factory=list)
    warnings: list[dict[str, str]] = field(default_factory=list)  # ingested, but worth a look
    # Files in a folder that no connector reads (an image, a spreadsheet): {"source", "reason"} each, so a
    # folder ingest never drops a file without a word. Not a failure: the exit code stays 0.
    skipped: list[dict[str, str]] = field(default_factory=list)
    # Seconds per stage: read (waiting for the parsing thread), prepare (hash, redact, chunk), embed, write
    # (catalog + FTS5 + vector index), save (the index file). What is left of `seconds` is bookkeeping.
    stages: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


REDACTION_MODES = ("auto", "on", "off")


class RedactionPolicy:
    """PHI/PII redaction per KB: "on", "off", or "auto" = on for healthcare documents only (clinical
    notes carry identifiers; contracts and statutes need their party names)."""

    def __init__(self, mode: str) -> None:
        self.mode = mode
        self.redactor = Redactor(RedactionConfig(enabled=True))

    def applies_to(self, document: Document) -> bool:
        return self.mode == "on" or (self.mode == "auto" and document.domain == "healthcare")


def content_hash(document: Document) -> str:
    payload = json.dumps([document.text, document.title, document.source, document.uri, document.domain,
                          list(document.acl), document.metadata], sort_keys=True, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def embedding_text(chunk: Chunk) -> str:
    """What gets embedded: the passage with its document title and section, which often name the topic
    the passage itself never repeats ("7.1 This MSA is governed by ..." under "Governing Law")."""
    head = " — ".join(p for p in (chunk.title, chunk.locator.label()) if p)
    return f"{head}\n{chunk.text}" if head else chunk.text


class KnowledgeBase:
    def __init__(self, path: str | os.PathLike, settings: Settings | None = None, *, create: bool = False,
                 embedder: Embedder | None = None, redaction: str | None = None) -> None:
        self.path = Path(path)
        self.settings = settings or Settings()
        self.embedder = embedder or Embedder(self.settings.embedding)
        self.chunker = SentenceChunker(self.settings.chunking)
        if redaction is not None and redaction not in REDACTION_MODES:
            raise KnowledgeBaseError(f"redaction must be one of {', '.join(REDACTION_MODES)}, found {redaction!r}")
        self.manifest = self._open_manifest(create, redaction)
        self.redaction = RedactionPolicy(self.manifest.get("redaction", "auto"))
        self.catalog = Catalog(self.path / "catalog.sqlite")
        self.catalog.create()
        # The manifest's descriptor (recorded once, at creation) names the backend and collection; the
        # settings must agree with it. KBs from before index backends used FAISS.
        self.dense = open_vector_index(self.settings.index, self.path, int(self.manifest["embedding"]["dimension"]),
                                       "dense", stored=self.manifest.get("index", FAISS_DESCRIPTOR))
        self._reconciled = False
        # One catalog connection and one dense index serve every thread of a server: a search must not
        # read the index or the connection while an ingest or delete is half-way through changing them
        # (an open transaction on the shared connection would show its uncommitted rows; FAISS is not
        # safe to search while it is being added to). Writers and searches take this lock in turn.
        self.lock = threading.RLock()

    # --- opening -----------------------------------------------------------------------------
    def _open_manifest(self, create: bool, redaction: str | None) -> dict:
        manifest_path = self.path / MANIFEST
        if not manifest_path.exists():
            if not create:
                hint = "build it first with: assistant ingest PATH --kb " + str(self.path)
                what = "does not exist" if not self.path.exists() else f"has no {MANIFEST}"
                raise KnowledgeBaseError(f"knowledge base {self.path} {what}; {hint}")
            if self.path.exists() and any(self.path.iterdir()):
                raise KnowledgeBaseError(
                    f"{self.path} is not empty and holds no {MANIFEST}; choose an empty or new directory for a KB")
            self.path.mkdir(parents=True, exist_ok=True)
            manifest = {
                "format": FORMAT_VERSION,
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "embedding": {"model": self.embedder.identity, "dimension": self.embedder.dimension},
                "chunking": asdict(self.settings.chunking),
                "redaction": redaction or "auto",
                "index": index_descriptor(self.settings.index, self.path),
            }
            tmp = manifest_path.with_suffix(".tmp")
            tmp.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
            os.replace(tmp, manifest_path)
            return manifest
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
            model, dim = manifest["embedding"]["model"], int(manifest["embedding"]["dimension"])
        except (ValueError, KeyError, TypeError) as exc:
            raise KnowledgeBaseError(f"{manifest_path} is corrupt ({exc}); restore it or rebuild the KB") from None
        if manifest.get("format") != FORMAT_VERSION:
            raise KnowledgeBaseError(
                f"{self.path} uses KB format {manifest.get('format')!r}, this version reads {FORMAT_VERSION}; rebuild it")
        stored = manifest.get("redaction", "auto")
        if redaction is not None and redaction != stored:
            raise KnowledgeBaseError(
                f"knowledge base {self.path} was created with redaction {stored!r}, and --redact {redaction} was "
                f"asked for. Documents already indexed cannot be re-redacted in place: ingest into a new --kb "
                f"directory with --redact {redaction}, or leave the option out.")
        if model != self.embedder.identity:
            name, _, backend = model.partition("+")  # identities read "model" or "model+onnx-int8"
            raise KnowledgeBaseError(
                f"knowledge base {self.path} was built with embedding model {model!r} (dimension {dim}), but the "
                f"settings ask for {self.embedder.identity!r}. Set [embedding] model = {name!r} and backend = "
                f"{backend or 'torch'!r} (or ASSISTANT_EMBEDDING_MODEL / ASSISTANT_EMBEDDING_BACKEND) to use "
                f"this KB, or ingest into a new --kb directory.")
        return manifest

    def check_dimension(self) -> None:
        expected = int(self.manifest["embedding"]["dimension"])
        if self.embedder.dimension != expected:
            raise KnowledgeBaseError(
                f"embedding model {self.embedder.identity!r} now yields dimension {self.embedder.dimension}, "
                f"but {self.path} was built with dimension {expected}; rebuild the KB")

    def reconcile(self, save: bool = True) -> None:
        """Make the dense index hold exactly the catalog's chunks. After a crash between the catalog
        commit and the index write this re-adds (from stored embeddings) or drops the difference.
        Readers reconcile in memory only (`save=False`): the file belongs to the writer holding the lock."""
        if self._reconciled:
            return
        catalog_keys = set(self.catalog.chunk_keys())
        dense_keys = self.dense.keys()
        missing, extra = sorted(catalog_keys - dense_keys), sorted(dense_keys - catalog_keys)
        # Chroma writes straight to its shared store: only the writer (holding the lock) may repair it.
        if (missing or extra) and (save or self.manifest.get("index", FAISS_DESCRIPTOR)["backend"] == "faiss"):
            self.dense.delete(extra)
            self.dense.upsert(missing, self.catalog.embeddings(missing, self.dense.dimension))
            if save:
                self.dense.save()
        self._reconciled = True

    @contextmanager
    def _write_lock(self) -> Iterator[None]:
        with open(self.path / ".lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise KnowledgeBaseError(
                    f"another process is writing to {self.path}; wait for it to finish and try again") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # --- writing -----------------------------------------------------------------------------
    def ingest(self, items: Iterable[Document | Exception], *, domain: str | None = None,
               progress: bool | str = False, prune_scopes: Sequence[Path | str] = ()) -> IngestReport:
        """Add new documents, replace changed ones, skip unchanged ones. A failed input becomes an
        entry in `errors`; everything else is still ingested and nothing already there is lost.

        Reading (parsing PDFs, XML, ...) runs in a background thread while this one chunks and embeds.
        `prune_scopes`: afterwards delete documents that are gone from these sources — for a Path, those
        whose source file lies under it and no longer exists; for a str (e.g. "sql:notes"), those with
        exactly that source that this run did not read. A source that failed to parse is always kept."""
        report = IngestReport()
        with self.lock, self._write_lock():
            self.check_dimension()
            self.reconcile()
            meter = Throughput(bool(progress), progress if isinstance(progress, str) else "ingest")
            batch: list[Document] = []
            pending_chunks = 0
            seen: set[str] = set()
            complete = True
            try:
                for item in waited(prefetch(until_crash(items), PREFETCH_DOCUMENTS), report.stages, "read"):
                    meter.read()
                    if isinstance(item, SourceCrash):
                        complete = False
                        report.errors.append(error_entry(getattr(item.exc, "source", "") or "(source reader)",
                                                         item.exc))
                        continue
                    if isinstance(item, SkippedSource):
                        report.skipped.append({"source": item.source, "reason": str(item)})
                        continue
                    if isinstance(item, Exception):
                        report.errors.append(error_entry(getattr(item, "source", ""), item))
                        continue
                    if not isinstance(item, Document):
                        report.errors.append({"source": "", "error": f"a connector yielded "
                                              f"{type(item).__name__}, expected a Document or an error"})
                        continue
                    if domain and not item.domain:
                        item = replace(item, domain=domain)
                    if item.id in seen:
                        report.errors.append({"source": item.source or item.id,
                                              "error": f"duplicate document id {item.id!r} in this ingest; kept the first"})
                        continue
                    seen.add(item.id)
                    batch.append(item)
                    pending_chunks += max(1, len(item.text) // self.chunker.config.max_chars)
                    # Embedding many chunks at once lets the encoder sort them by length and pad less.
                    if pending_chunks >= EMBED_BATCH_CHUNKS:
                        meter.wrote(*self._ingest_batch(batch, report))
                        batch, pending_chunks = [], 0
                if batch:
                    meter.wrote(*self._ingest_batch(batch, report))
                if prune_scopes and not complete:
                    report.errors.append({"source": "", "error": "--prune skipped: a source stopped before it "
                                          "was read in full, so missing documents may still exist; fix the "
                                          "error above and run again"})
                elif prune_scopes:
                    report.documents_pruned = self._prune(prune_scopes, seen, report)
            finally:
                meter.close()
                with stage(report.stages, "save"):
                    self.dense.save()
                report.seconds = round(meter.seconds, 3)
        return report

    def _ingest_batch(self, documents: list[Document], report: IngestReport) -> tuple[int, int]:
        todo: list[tuple[Document, str, list[Chunk], bool]] = []
        with stage(report.stages, "prepare"):
            for doc in documents:
                # One error boundary per document: whatever hashing, redaction or chunking raises for it
                # (odd metadata, offsets outside its text) is its own error entry; the batch goes on.
                try:
                    prepared = self._prepare(doc, report)
                except Exception as exc:  # noqa: BLE001
                    report.errors.append(error_entry(doc.source or doc.id, exc))
                    continue
                if prepared is not None:
                    todo.append(prepared)
        if not todo:  # every document unchanged, empty or failed
            return len(documents), 0
        all_chunks = [c for _, _, chunks, _ in todo for c in chunks]
        with stage(report.stages, "embed"):
            vectors = self._vectors(all_chunks, [doc.id for doc, _, _, existed in todo if existed], report)
        with stage(report.stages, "write"):
            self._write(todo, vectors, report)
        return len(documents), len(all_chunks)

    def _write(self, todo: list[tuple[Document, str, list[Chunk], bool]], vectors: np.ndarray,
               report: IngestReport) -> None:
        offset = 0
        for doc, digest, chunks, existed in todo:
            vecs = vectors[offset:offset + len(chunks)]
            offset += len(chunks)
            try:
                removed, added = self.catalog.replace_document(doc, digest, chunks, vecs)
            except (TypeError, ValueError) as exc:  # metadata that will not store; its transaction rolled back
                report.errors.append(error_entry(doc.source or doc.id, exc))
                continue
            self.dense.delete(removed)
            self.dense.upsert(added, vecs)
            report.chunks_added += len(added)
            if existed:
                report.documents_updated += 1
            else:
                report.documents_added += 1

    def _prepare(self, doc: Document, report: IngestReport) -> tuple[Document, str, list[Chunk], bool] | None:
        """(redacted document, content hash, chunks, existed) for a document to write, or None when it
        is unchanged or empty (reported). Raises whatever a stage raises on this document."""
        if not isinstance(doc.text, str) or not doc.text.strip():
            report.errors.append({"source": doc.source or doc.id, "error": "document has no text"})
            return None
        check_internal(doc.metadata)
        digest = content_hash(doc)  # of the document as read, so an unchanged source stays unchanged
        old = self.catalog.content_hash(doc.id)
        if old == digest:
            report.documents_unchanged += 1
            return None
        doc = self._redact(doc, report)
        chunks = self.chunker.chunk(doc)
        if doc.metadata.get("encoding"):  # after the stages that can fail: one entry per document
            report.warnings.append({"source": doc.source or doc.id, "warning": (
                f"not UTF-8; decoded as {doc.metadata['encoding']} (a guess): check accented characters, "
                "or re-save the file as UTF-8")})
        return doc, digest, chunks, old is not None

    def _vectors(self, chunks: list[Chunk], replaced: list[str], report: IngestReport) -> np.ndarray:
        """Embeddings for `chunks`. A changed document usually keeps most of its passages, and corpora
        repeat boilerplate; a passage whose embedded text is already known (in the version being
        replaced, or earlier in this batch) reuses that vector instead of being encoded again."""
        texts = [embedding_text(c) for c in chunks]
        known: dict[str, np.ndarray] = {}
        for doc_id in replaced:
            keys = self.catalog.chunk_keys(doc_id)
            old = self.catalog.chunks(keys)
            for key, vector in zip(keys, self.catalog.embeddings(keys, self.dense.dimension)):
                known[embedding_text(old[key])] = vector
        fresh = [t for t in dict.fromkeys(texts) if t not in known]
        known.update(zip(fresh, self.embedder.encode(fresh)))
        report.chunks_reused += len(texts) - len(fresh)
        if not texts:
            return np.zeros((0, self.dense.dimension), dtype=np.float32)
        return np.stack([known[t] for t in texts]).astype(np.float32, copy=False)

    def _redact(self, doc: Document, report: IngestReport) -> Document:
        if not self.redaction.applies_to(doc):
            return doc
        doc, counts = redact_document(doc, self.redaction.redactor)
        for kind, n in counts.items():
            report.redactions[kind] = report.redactions.get(kind, 0) + n
        return doc

    def _prune(self, scopes: Sequence[Path | str], seen: set[str], report: IngestReport) -> int:
        """Delete documents whose source is gone. Sources that failed this run are kept: a file that is
        corrupt today, or a database that is down, must not erase what was ingested from it yesterday."""
        failed = {e["source"] for e in report.errors}
        folders = [Path(s).expanduser().resolve() for s in scopes if isinstance(s, Path)]
        names = {s for s in scopes if isinstance(s, str)}
        if names & failed:
            names -= failed  # a partial read of a table says nothing about which rows are gone
        gone = []
        for record in self.catalog.documents():
            # Record-level failures name the record (SQL rows: "sql:<id>"), file failures the path.
            if record.id in seen or not record.source or failed & {record.source, record.id, f"sql:{record.id}"}:
                continue
            if record.source in names:
                gone.append(record.id)
                continue
            source = Path(record.source)
            if source.is_absolute() and any(source == f or f in source.parents for f in folders) \
                    and not source.exists():
                gone.append(record.id)
        for doc_id in gone:
            self.dense.delete(self.catalog.delete_document(doc_id))
        return len(gone)

    def delete_document(self, doc_id: str) -> bool:
        with self.lock, self._write_lock():
            self.reconcile()
            existed = self.catalog.content_hash(doc_id) is not None
            self.dense.delete(self.catalog.delete_document(doc_id))
            self.dense.save()
            return existed

    # --- reading -----------------------------------------------------------------------------
    def stats(self) -> dict:
        docs, chunks = self.catalog.counts()
        return {"documents": docs, "chunks": chunks, "embedding_model": self.manifest["embedding"]["model"],
                "dimension": self.manifest["embedding"]["dimension"], "path": str(self.path),
                "redaction": self.redaction.mode, "index": self.dense.stats()}

    def close(self) -> None:
        self.catalog.close()
