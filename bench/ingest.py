"""Ingest throughput on real corpora: this pipeline against the common LangChain baseline, same process.

Corpus: the CUAD contract texts and one MedQuAD collection from ../shared/data.
Baseline: RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200) + HuggingFaceEmbeddings on
the same bundled all-MiniLM-L6-v2 + FAISS.from_documents, given the texts already read (its parsing is
not timed, which flatters it).
Ours: `KnowledgeBase.ingest` straight from the files: parsing in a background thread, clause/section-
aware chunking, embedding, FAISS + the SQLite catalog with FTS5, for each embedding backend asked for.

Both embedders are loaded before timing. Figures: chunks/s (what the issue asks for) and MB of source
text per second (which does not depend on how big each side's chunks are), then seconds per stage (the
KB's own IngestReport.stages) and how many characters each side embeds per source character (chunk
overlap, and our title / clause-locator prefix).

    .venv/bin/python bench/ingest.py [--contracts 120] [--medquad 5_NIDDK_QA] [--backends torch,onnx-int8]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.connectors import FileConnector, MedQuADConnector  # noqa: E402
from assistant.core.models import embedder_path  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.embedding.embedder import Embedder  # noqa: E402
from assistant.ingest.kb import KnowledgeBase, embedding_text  # noqa: E402

SHARED = ROOT.parent / "shared" / "data"


def sources(contracts: int, medquad: str) -> list[tuple[object, str]]:
    cuad = sorted((SHARED / "cuad" / "full_contract_txt").glob("*.txt"))[:contracts]
    collection = SHARED / "medquad" / medquad
    if not cuad or not collection.is_dir():
        sys.exit(f"bench/ingest.py needs {SHARED}/cuad/full_contract_txt and {collection}; absent here")
    return [(FileConnector(p), "legal") for p in cuad] + [(MedQuADConnector(collection), "healthcare")]


def read_all(items: list[tuple[object, str]]) -> list[tuple[str, dict]]:
    texts = []
    for connector, domain in items:
        for doc in connector.iter_documents():
            if not isinstance(doc, Exception):
                texts.append((doc.text, {"id": doc.id, "domain": domain}))
    return texts


def baseline(texts: list[tuple[str, dict]]) -> dict:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # langchain_community's deprecation notices
        from langchain_community.embeddings import HuggingFaceEmbeddings
        from langchain_community.vectorstores import FAISS
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        embeddings = HuggingFaceEmbeddings(model_name=str(embedder_path("bundled:all-MiniLM-L6-v2")),
                                           model_kwargs={"device": "cpu"})
        embeddings.embed_query("warm up")
    started = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.create_documents([t for t, _ in texts], metadatas=[m for _, m in texts])
    split = time.perf_counter() - started
    FAISS.from_documents(docs, embeddings)
    seconds = time.perf_counter() - started
    # FAISS.from_documents embeds and adds in one call; the add is milliseconds, so it counts as embed
    return {"chunks": len(docs), "seconds": seconds, "stages": {"prepare": split, "embed": seconds - split},
            "embedded_chars": sum(len(d.page_content) for d in docs)}


def ours(items: list[tuple[object, str]], backend: str) -> dict:
    settings = Settings().with_overrides("embedding", backend=backend)
    embedder = Embedder(settings.embedding)
    embedder.warm_up()
    embedder.encode(["warm up"])
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "kb", settings, create=True, embedder=embedder, redaction="off")
        started = time.perf_counter()
        stages: dict[str, float] = {}
        for connector, domain in items:
            report = kb.ingest(connector.iter_documents(), domain=domain)
            for name, value in report.stages.items():
                stages[name] = stages.get(name, 0.0) + value
        seconds = time.perf_counter() - started
        chunks = kb.stats()["chunks"]
        keys = [k for (k,) in kb.catalog.conn.execute("SELECT key FROM chunks")]
        embedded = sum(len(embedding_text(c)) for c in kb.catalog.chunks(keys).values())
        kb.close()
    return {"chunks": chunks, "seconds": seconds, "stages": stages, "embedded_chars": embedded}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--contracts", type=int, default=120, help="how many CUAD contracts (sorted by name)")
    parser.add_argument("--medquad", default="5_NIDDK_QA", help="MedQuAD collection folder")
    parser.add_argument("--backends", default="torch,onnx-int8", help="our embedding backends to time")
    args = parser.parse_args()
    items = sources(args.contracts, args.medquad)
    started = time.perf_counter()
    texts = read_all(items)
    read_seconds = time.perf_counter() - started
    megabytes = sum(len(t) for t, _ in texts) / 1e6
    print(f"corpus: {args.contracts} CUAD contracts + MedQuAD {args.medquad}: {len(texts)} documents, "
          f"{megabytes:.2f} M characters", flush=True)

    results = {"langchain baseline": baseline(texts)}
    print(f"langchain baseline done: {results['langchain baseline']}", flush=True)
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        results[f"ours ({backend})"] = ours(items, backend)
        print(f"ours ({backend}) done: {results[f'ours ({backend})']}", flush=True)

    base = results["langchain baseline"]
    base_cps, base_mbs = base["chunks"] / base["seconds"], megabytes / base["seconds"]
    print(f"\n{'pipeline':<22}{'chunks':>8}{'seconds':>9}{'chunks/s':>10}{'× base':>8}{'MB/s':>8}{'× base':>8}")
    summary = {}
    for name, r in results.items():
        cps, mbs = r["chunks"] / r["seconds"], megabytes / r["seconds"]
        summary[name] = {**r, "chunks_per_s": round(cps, 1), "mb_per_s": round(mbs, 4),
                         "chunks_per_s_ratio": round(cps / base_cps, 2), "mb_per_s_ratio": round(mbs / base_mbs, 2)}
        print(f"{name:<22}{r['chunks']:>8}{r['seconds']:>9.1f}{cps:>10.1f}{cps / base_cps:>8.2f}"
              f"{mbs:>8.3f}{mbs / base_mbs:>8.2f}")
    stage_names = ["read", "prepare", "embed", "write", "save"]
    print("\nper stage, seconds (read: waiting for the parsing thread; prepare: hash, redact, chunk — the "
          "baseline's split; write: catalog + FTS5 + vector index), and characters embedded per source character")
    print(f"{'pipeline':<22}" + "".join(f"{n:>9}" for n in stage_names) + f"{'other':>9}{'embedded/source':>17}")
    for name, r in results.items():
        stages = r["stages"]
        other = r["seconds"] - sum(stages.values())
        print(f"{name:<22}" + "".join(f"{stages[n]:>9.1f}" if n in stages else f"{'—':>9}" for n in stage_names)
              + f"{other:>9.1f}{r['embedded_chars'] / (megabytes * 1e6):>17.2f}")
    print(f"(reading every source once, outside any pipeline: {read_seconds:.1f} s; the baseline is handed the texts)")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
