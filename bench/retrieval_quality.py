"""The three dev sets of bench/retrieval.py, built as real knowledge bases, and each query's candidates.

(a) MedQuAD: the answers of a few collections are the corpus (each QA pair one document titled by its
    focus, e.g. "Acromegaly"; the question itself is left out of the document, since it would hand
    both retrievers the answer); each question must find its own answer among all of them.
(b) PubMedQA dev: each question against the pooled 500 abstracts. The connector titles an abstract
    with its question; that title is blanked here for the same reason.
(c) CUAD: for each clause category labelled in a contract, the category's description (from
    CUAD_v1_README.txt) searched within that contract must find the chunks holding the clause text.

KBs are built with `KnowledgeBase.ingest` (default chunking, redaction off) and cached under
$BENCH_KB_CACHE (default /tmp/bench-kbs); candidates are cached beside them, keyed by the query texts
and the source of assistant/retrieval/retriever/query.py, so a change to the cleanup recomputes them.
"""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Iterable, Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.connectors import FileConnector, MedQuADConnector, PubMedQAConnector  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.core.types import Document  # noqa: E402
from assistant.embedding.embedder import Embedder  # noqa: E402
from assistant.eval.shared import cuad_clauses, cuad_descriptions, cuad_rows  # noqa: E402
from assistant.ingest.kb import KnowledgeBase  # noqa: E402
from assistant.retrieval.fusion import Evidence, FusionParams, gather  # noqa: E402
from assistant.retrieval.query import FocusedQuery, focus_query  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"
CACHE = Path(os.environ.get("BENCH_KB_CACHE", "/tmp/bench-kbs"))
KB_VERSION = 1  # bump when the way documents are built here changes

@dataclass(frozen=True)
class Query:
    qid: str
    text: str
    relevant: frozenset[str]  # item ids (see DevSet.item_of)
    group: str  # split unit: queries of one group all land on the same side of the tune/held-out split
    scope: str | None = None  # search only this document's chunks


@dataclass
class DevSet:
    name: str
    kb: KnowledgeBase
    queries: list[Query]
    item_of: dict[int, str]  # chunk key → what a ranking is judged on (an answer, an abstract, a chunk)
    doc_of: dict[int, str]  # chunk key → document id
    domain: str  # the documents' domain: picks the fusion values (RetrievalConfig.for_domain)
    note: str = ""


@dataclass
class Candidates:
    """One query's retrieval results `n` deep: the raw question's lists (the single-retriever
    baselines), and the evidence `fusion.rank` scores, for the cleaned question and for the raw one."""

    raw_dense: list[tuple[int, float]]
    raw_sparse: list[tuple[int, float]]
    evidence: Evidence
    raw_evidence: Evidence


def _need(path: Path) -> Path:
    if not path.exists():
        sys.exit(f"bench/retrieval.py needs {path} (the public dev datasets beside the checkout); absent here")
    return path


def open_kb(name: str, documents: Callable[[], Iterable[Document]], settings: Settings,
            embedder: Embedder) -> KnowledgeBase:
    """The cached KB `name`, built first when missing or left half-built by an interrupted run."""
    path = CACHE / name
    done = path / "bench-complete.json"
    if path.exists() and not done.exists():
        shutil.rmtree(path)
    if done.exists():
        return KnowledgeBase(path, settings, embedder=embedder)
    print(f"building KB {path} (cached for later runs)", flush=True)
    kb = KnowledgeBase(path, settings, create=True, embedder=embedder, redaction="off")
    report = kb.ingest(documents(), progress=True)
    if report.errors:
        print(f"  {len(report.errors)} documents not ingested, e.g. {report.errors[0]}", flush=True)
    done.write_text(json.dumps(report.to_dict()), encoding="utf-8")
    return kb


def _kb_name(kind: str, params: str, settings: Settings, embedder: Embedder) -> str:
    fingerprint = json.dumps([KB_VERSION, params, embedder.identity, repr(settings.chunking)])
    return f"{kind}-{hashlib.sha1(fingerprint.encode()).hexdigest()[:10]}"


def _chunk_table(kb: KnowledgeBase) -> list[tuple[int, str, str, int, int]]:
    """(key, chunk id, doc id, start, end) of every chunk; the bench reads the catalog directly."""
    return list(kb.catalog.conn.execute("SELECT key, id, doc_id, start, end FROM chunks ORDER BY key"))


def medquad(collections: Sequence[str], settings: Settings, embedder: Embedder) -> DevSet:
    docs: list[Document] = []
    questions: dict[str, set[str]] = {}  # question text → doc ids answering it
    focus: dict[str, str] = {}
    for collection in collections:
        for d in MedQuADConnector(_need(SHARED / "medquad" / collection)).iter_documents():
            if isinstance(d, Exception):
                continue
            answer = d.text.split("\n\n", 1)[1] if d.text.startswith("# ") else d.text
            docs.append(Document(id=d.id, title=d.metadata.get("focus", ""), text=answer, source=d.source,
                                 uri=d.uri, domain="healthcare", metadata={"qtype": d.metadata.get("qtype", "")}))
            questions.setdefault(d.title, set()).add(d.id)
            focus[d.title] = d.metadata.get("focus", "")
    # Identical answers (MedQuAD repeats some under several questions) count as one item.
    canonical: dict[str, str] = {}
    item = {d.id: canonical.setdefault(d.text, d.id) for d in docs}
    kb = open_kb(_kb_name("medquad", ",".join(collections), settings, embedder), lambda: docs, settings, embedder)
    table = _chunk_table(kb)
    queries = [Query(qid=sorted(ids)[0], text=q, relevant=frozenset(item[i] for i in ids), group=focus[q])
               for q, ids in questions.items()]
    return DevSet("medquad", kb, queries, {k: item[doc] for k, _, doc, _, _ in table},
                  {k: doc for k, _, doc, _, _ in table}, "healthcare",
                  f"{len(docs)} answers of {', '.join(collections)}; {len(queries)} distinct questions")


def pubmedqa(settings: Settings, embedder: Embedder) -> DevSet:
    path = _need(SHARED / "pubmedqa" / "pqal_dev.json")
    docs = [replace(d, title="", metadata={"pmid": d.id}) for d in PubMedQAConnector(path).iter_documents()
            if not isinstance(d, Exception)]
    data = json.loads(path.read_text(encoding="utf-8"))
    kb = open_kb(_kb_name("pubmedqa", "pqal_dev", settings, embedder), lambda: docs, settings, embedder)
    table = _chunk_table(kb)
    queries = [Query(qid=pmid, text=item["QUESTION"], relevant=frozenset([pmid]), group=pmid)
               for pmid, item in data.items()]
    doc_of = {k: doc for k, _, doc, _, _ in table}
    return DevSet("pubmedqa", kb, queries, dict(doc_of), doc_of, "healthcare",
                  f"{len(docs)} abstracts, {len(queries)} questions")


def _normalised(text: str) -> tuple[str, list[int]]:
    """`text` with whitespace runs collapsed to one space, and each kept character's original offset."""
    chars, offsets, space = [], [], True
    for i, ch in enumerate(text):
        if ch.isspace():
            if space:
                continue
            ch, space = " ", True
        else:
            space = False
        chars.append(ch)
        offsets.append(i)
    return "".join(chars), offsets


def cuad(contracts: int, settings: Settings, embedder: Embedder) -> DevSet:
    folder = _need(SHARED / "cuad" / "full_contract_txt")
    descriptions = cuad_descriptions()
    rows = cuad_rows(contracts)
    docs: dict[str, Document] = {}
    for row in rows:
        path = folder / (row["Filename"].rsplit(".", 1)[0] + ".txt")
        for d in FileConnector(_need(path)).iter_documents():
            if not isinstance(d, Exception):
                docs[row["Filename"]] = replace(d, domain="legal")
    kb = open_kb(_kb_name("cuad", f"{contracts}", settings, embedder), lambda: list(docs.values()), settings,
                 embedder)
    table = _chunk_table(kb)
    chunks_of: dict[str, list[tuple[str, int, int]]] = {}
    for _, cid, doc, start, end in table:
        chunks_of.setdefault(doc, []).append((cid, start, end))
    queries, found, missing = [], 0, 0
    for row in rows:
        doc = docs.get(row["Filename"])
        if doc is None:
            continue
        norm, offsets = _normalised(doc.text)
        for column, description, clauses in cuad_clauses(row, descriptions):
            relevant: set[str] = set()
            for needle in clauses:
                at = norm.find(needle)
                if not needle or at < 0:
                    missing += 1
                    continue
                found += 1
                start, end = offsets[at], offsets[at + len(needle) - 1] + 1
                for cid, c_start, c_end in chunks_of[doc.id]:
                    overlap = min(end, c_end) - max(start, c_start)
                    # The chunk holds at least half the clause, or the clause fills half the chunk.
                    if overlap > 0 and overlap >= 0.5 * min(end - start, c_end - c_start):
                        relevant.add(cid)
            if relevant:
                queries.append(Query(qid=f"{doc.id}::{column}", text=description, relevant=frozenset(relevant),
                                     group=column.strip().lower(), scope=doc.id))
    id_of = {k: cid for k, cid, _, _, _ in table}
    return DevSet("cuad", kb, queries, id_of, {k: doc for k, _, doc, _, _ in table}, "legal",
                  f"{len(docs)} contracts, {len(queries)} (contract, category) queries; "
                  f"{found} clauses located, {missing} not found verbatim (skipped)")


# Every title-focus signal on, so the cached evidence serves any tuned weights.
_GATHER_ALL = FusionParams(title_weight=1.0, intent_weight=1.0, intent_bm25_weight=1.0, opening_weight=1.0)


def candidates(dev: DevSet, n: int) -> list[Candidates]:
    """Per query, the calls HybridRetriever makes: focus_query → encode → dense and BM25 top-n →
    fusion.gather; for the cleaned and the raw question. Scoped queries search their document only."""
    source = b"".join((ROOT / "assistant" / "retrieval" / f).read_bytes() for f in ("query.py", "fusion.py"))
    digest = hashlib.sha1(source + json.dumps([n, [(q.text, q.scope) for q in dev.queries]]).encode()).hexdigest()
    path = dev.kb.path / f"candidates-{digest[:12]}.pkl"
    if path.exists():
        with path.open("rb") as f:
            return pickle.load(f)
    kb = dev.kb
    kb.reconcile(save=False)
    keys_of: dict[str, list[int]] = {}
    for key, doc in sorted(dev.doc_of.items()):
        keys_of.setdefault(doc, []).append(key)
    views = []
    for texts in ([focus_query(q.text) for q in dev.queries], [FocusedQuery(q.text, q.text, q.text) for q in dev.queries]):
        qvecs = kb.embedder.encode([f.dense for f in texts])
        dense, sparse = [], []
        for q, f, qvec in zip(dev.queries, texts, qvecs):
            allowed = np.asarray(keys_of[q.scope], dtype=np.int64) if q.scope else None
            dense.append(kb.dense.search(qvec[None, :], n, allowed=allowed)[0])
            sparse.append(kb.catalog.sparse.search(f.sparse, n, allowed))
        evidence = []
        for q, f, qvec, d, s in zip(dev.queries, texts, qvecs, dense, sparse):
            allowed = np.asarray(keys_of[q.scope], dtype=np.int64) if q.scope else None
            evidence += gather(kb, [f.dense], qvec[None, :], [d], [s], _GATHER_ALL, allowed)
        views.append((dense, sparse, evidence))
    (_, _, evidence), (raw_dense, raw_sparse, raw_evidence) = views
    out = [Candidates(*parts) for parts in zip(raw_dense, raw_sparse, evidence, raw_evidence)]
    with path.open("wb") as f:
        pickle.dump(out, f)
    return out
