"""The VectorIndex contract (assistant/indexes/base.py), run against every backend: FAISS flat, HNSW and IVF, and
Chroma embedded and server (a real `chroma run`, see conftest.py). Exact backends must match brute force
exactly; approximate ones (FAISS HNSW and IVF) must still never return a deleted or forbidden key, and
must return k permitted hits whenever k exist."""

from __future__ import annotations

import subprocess
import sys
import uuid
from dataclasses import replace
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pytest

from assistant.core.errors import KnowledgeBaseError
from assistant.core.settings import IndexConfig
from assistant.indexes import (
    FAISS_DESCRIPTOR,
    FaissDenseIndex,
    VectorIndex,
    index_descriptor,
    open_vector_index,
)
from assistant.indexes.chroma import ChromaIndex
from tests.indexes.conftest import free_port, require_chromadb

DIM = 32
N = 2000  # enough for FAISS IVF to train (sqrt(N) lists x 39 points each)
BACKENDS = ["faiss-flat", "faiss-hnsw", "faiss-ivf", "chroma-embedded", "chroma-server"]
EXPECTED_KIND = {"faiss-flat": "flat", "faiss-hnsw": "hnsw", "faiss-ivf": "ivf",
                 "chroma-embedded": "hnsw", "chroma-server": "hnsw"}
# Filtered results must equal brute force here: FAISS flat scans everything; Chroma's paths either score
# exactly or, on 2,000 32-d vectors, use an HNSW walk that misses nothing.
EXACT = {"faiss-flat", "chroma-embedded", "chroma-server"}
ROOT = Path(__file__).resolve().parents[2]

Opener = Callable[..., VectorIndex]


def random_unit(n: int, dim: int = DIM, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def config_for(backend: str, server_url: str = "", collection: str = "", **extra: object) -> IndexConfig:
    if backend.startswith("faiss"):
        return IndexConfig(backend="faiss", kind=backend.split("-")[1], **extra)  # type: ignore[arg-type]
    return IndexConfig(backend="chroma", chroma_url=server_url if backend == "chroma-server" else "",
                       chroma_collection=collection, **extra)  # type: ignore[arg-type]


@pytest.fixture(params=BACKENDS)
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """open_(dimension) opens — or reopens — the same index of the parametrised backend."""
    backend = request.param
    if backend.startswith("chroma"):
        require_chromadb()
    url = request.getfixturevalue("chroma_server_url") if backend == "chroma-server" else ""
    config = config_for(backend, url, f"contract-{uuid.uuid4().hex[:12]}")
    opened: list[VectorIndex] = []

    def open_(dimension: int = DIM) -> VectorIndex:
        opened.append(open_vector_index(config, tmp_path, dimension, "dense"))
        return opened[-1]

    open_.backend = backend  # type: ignore[attr-defined]
    yield open_
    if backend == "chroma-server" and opened:  # a shared CI server would otherwise keep every test's data
        drop_collection(opened[0])


def drop_collection(index: VectorIndex) -> None:
    assert isinstance(index, ChromaIndex)
    index.client.delete_collection(index.name)


def loaded(open_: Opener, n: int = N, seed: int = 0) -> tuple[VectorIndex, np.ndarray, np.ndarray]:
    index = open_()
    keys = np.arange(n, dtype=np.int64) * 3 + 11  # sparse, like catalog keys after deletions
    vectors = random_unit(n, seed=seed)
    index.upsert(keys, vectors)
    return index, keys, vectors


def brute(keys: np.ndarray, vectors: np.ndarray, queries: np.ndarray, k: int) -> list[list[int]]:
    scores = queries @ vectors.T
    return [[int(keys[j]) for j in np.argsort(-row, kind="stable")[:k]] for row in scores]


def hit_keys(rows: list[list[tuple[int, float]]]) -> list[list[int]]:
    return [[key for key, _ in row] for row in rows]


def recall(found: list[list[int]], truth: list[list[int]]) -> float:
    return float(np.mean([len(set(f) & set(t)) / max(1, len(t)) for f, t in zip(found, truth)]))


# --- the contract, every backend ----------------------------------------------------------------
def test_known_vectors_come_back_first_with_their_score(opener: Opener) -> None:
    index, keys, vectors = loaded(opener)
    rows = index.search(vectors[:50], 5)
    assert [row[0][0] for row in rows] == keys[:50].tolist()
    assert all(abs(row[0][1] - 1.0) < 1e-4 and len(row) == 5 for row in rows)
    assert all(row[i][1] >= row[i + 1][1] - 1e-6 for row in rows for i in range(4))  # best first
    assert index.stats()["kind"] == EXPECTED_KIND[opener.backend]  # type: ignore[attr-defined]


def test_upsert_of_a_stored_key_replaces_its_vector(opener: Opener) -> None:
    index, keys, vectors = loaded(opener)
    fresh = random_unit(2, seed=99)
    index.upsert([int(keys[7])], fresh[:1])
    index.upsert([int(keys[8]), int(keys[8])], fresh)  # twice in one call: the last row wins
    assert len(index) == N
    (new7,), (new8,) = index.search(fresh[:1], 1), index.search(fresh[1:], 1)
    assert new7[0][0] == keys[7] and abs(new7[0][1] - 1.0) < 1e-4
    assert new8[0][0] == keys[8] and abs(new8[0][1] - 1.0) < 1e-4
    (old,) = index.search(vectors[7:8], N)
    score = dict(old)[int(keys[7])]
    assert abs(score - float(vectors[7] @ fresh[0])) < 1e-4  # only the new vector is stored


def test_deleted_keys_are_never_returned(opener: Opener) -> None:
    index, keys, vectors = loaded(opener)
    gone = keys[::3]
    index.delete(gone.tolist() + [10**9])  # an unknown key is ignored
    assert len(index) == N - len(gone) and index.keys() == set(keys.tolist()) - set(gone.tolist())
    queries = vectors[::3][:40]  # exactly the deleted vectors: their keys would score 1.0
    forbidden = set(gone.tolist())
    for rows in (index.search(queries, 20), index.search(queries, 20, allowed=keys)):
        assert all(len(row) == 20 and not forbidden & {key for key, _ in row} for row in rows)
    index.save()
    assert not forbidden & {key for row in opener().search(queries, 20) for key, _ in row}


def test_save_and_reopen_returns_the_same_results(opener: Opener) -> None:
    index, keys, vectors = loaded(opener)
    index.delete(keys[:100].tolist())
    queries = random_unit(20, seed=5)
    before = index.search(queries, 10)
    index.save()
    again = opener()
    assert len(again) == N - 100 and again.keys() == set(keys[100:].tolist())
    after = again.search(queries, 10)
    assert hit_keys(after) == hit_keys(before)
    assert np.allclose([s for row in after for _, s in row], [s for row in before for _, s in row], atol=1e-5)


def test_allowed_keeps_only_permitted_keys_and_still_returns_k(opener: Opener) -> None:
    index, keys, vectors = loaded(opener)
    rng = np.random.default_rng(3)
    permitted = rng.choice(keys, 100, replace=False)
    index.delete(permitted[:10].tolist())  # permitted but deleted: still never returned
    allowed = np.concatenate([permitted, [10**9, 10**9 + 1]])  # and keys the index never held
    live = np.isin(keys, permitted[10:])
    queries = random_unit(30, seed=4)
    rows = index.search(queries, 10, allowed=allowed)
    assert all(len(row) == 10 and {key for key, _ in row} <= set(permitted[10:].tolist()) for row in rows)
    truth = brute(keys[live], vectors[live], queries, 10)
    if opener.backend in EXACT:  # type: ignore[attr-defined]
        assert hit_keys(rows) == truth
    else:
        assert recall(hit_keys(rows), truth) >= 0.9
    few = index.search(queries[:3], 10, allowed=permitted[10:13])
    assert all(sorted(key for key, _ in row) == sorted(permitted[10:13].tolist()) for row in few)
    assert index.search(queries[:2], 10, allowed=np.array([10**9], np.int64)) == [[], []]
    assert index.search(queries[:2], 10, allowed=np.array([], np.int64)) == [[], []]


# Thresholds that route a filtered query to each strategy a backend has: FAISS HNSW scores a small
# permitted set exactly, a large one through the graph; Chroma fetches a small set, serves a large one
# from a wider unfiltered query, and falls back to its own `where` filter (here in chunks of 7 keys).
STRATEGIES = {"faiss-hnsw": [{}, {"HNSW_ROWS_PER_STEP": 0}],
              "chroma-embedded": [{}, {"EXACT_FETCH": 0}, {"EXACT_FETCH": 0, "WIDEN_MAX": 0, "FILTER_IDS_CHUNK": 7}]}
STRATEGIES["chroma-server"] = STRATEGIES["chroma-embedded"]


def test_every_filter_strategy_returns_k_permitted_hits(opener: Opener, monkeypatch: pytest.MonkeyPatch) -> None:
    import assistant.indexes.chroma
    import assistant.indexes.faiss_dense

    index, keys, vectors = loaded(opener)
    permitted = np.random.default_rng(6).choice(keys, 300, replace=False)
    index.delete(permitted[:20].tolist())
    live = np.isin(keys, permitted[20:])
    queries = random_unit(20, seed=9)
    truth = brute(keys[live], vectors[live], queries, 10)
    backend: str = opener.backend  # type: ignore[attr-defined]
    module = assistant.indexes.faiss_dense if backend.startswith("faiss") else assistant.indexes.chroma
    for thresholds in STRATEGIES.get(backend, [{}]):
        for name, value in thresholds.items():
            monkeypatch.setattr(module, name, value)
        rows = index.search(queries, 10, allowed=permitted)
        assert all(len(row) == 10 and {key for key, _ in row} <= set(permitted[20:].tolist()) for row in rows)
        assert recall(hit_keys(rows), truth) >= (1.0 if backend in EXACT else 0.9), thresholds
        monkeypatch.undo()


def test_empty_index(opener: Opener) -> None:
    index = opener()
    query = random_unit(2)
    assert len(index) == 0 and index.keys() == set()
    assert index.search(query, 5) == [[], []] and index.search(query, 5, allowed=np.array([1, 2])) == [[], []]
    index.delete([1, 2])
    index.upsert([], np.zeros((0, DIM), np.float32))
    index.save()
    stats = opener().stats()
    assert stats["count"] == 0 and stats["dimension"] == DIM


def test_stats_and_input_checks(opener: Opener) -> None:
    index, _, _ = loaded(opener, n=50)
    stats = index.stats()
    backend = opener.backend.split("-")[0]  # type: ignore[attr-defined]
    assert stats["backend"] == backend and stats["count"] == 50 and stats["dimension"] == DIM
    with pytest.raises(ValueError, match=r"expected vectors of shape \(2, 32\)"):
        index.upsert([1, 2], random_unit(2, dim=16))
    with pytest.raises(ValueError, match="expected queries of dimension 32, found 16"):
        index.search(random_unit(1, dim=16), 3)
    index.save()
    with pytest.raises(KnowledgeBaseError, match="dimension"):
        len(opener(DIM + 1))


# --- the same vectors in every backend give the same answers ------------------------------------
@pytest.mark.parametrize("ef_search", [128, 512])
def test_backends_agree_on_the_same_vectors(tmp_path: Path, chroma_server_url: str, ef_search: int) -> None:
    vectors = random_unit(2000, dim=384, seed=11)
    keys = np.arange(2000, dtype=np.int64) + 1
    queries = random_unit(50, dim=384, seed=12)
    name = f"agree-{uuid.uuid4().hex[:12]}"
    results, scores = {}, {}
    for backend in ("faiss-flat", "faiss-hnsw", "chroma-embedded", "chroma-server"):
        config = config_for(backend, chroma_server_url, name, ef_search=ef_search)
        index = open_vector_index(config, tmp_path / backend, 384)
        index.upsert(keys, vectors)
        rows = index.search(queries, 10)
        if backend == "chroma-server":
            drop_collection(index)
        results[backend] = hit_keys(rows)
        scores[backend] = {(q, key): score for q, row in enumerate(rows) for key, score in row}
    truth = brute(keys, vectors, queries, 10)
    assert results["faiss-flat"] == truth
    for backend, found in scores.items():  # the same vectors, scored the same way (inner product)
        assert all(abs(score - scores["faiss-flat"].get(hit, score)) < 1e-4 for hit, score in found.items())
    if ef_search >= 512:
        # A search breadth of a quarter of the collection makes HNSW (FAISS's and Chroma's) exact on
        # these 2,000 vectors: every backend must then return exactly the brute-force top-10.
        assert all(found == truth for found in results.values()), \
            {backend: recall(found, truth) for backend, found in results.items()}
    else:
        # At the default breadth HNSW is approximate by design (random 384-d vectors are its worst
        # case), and Chroma's embedded and server builds may miss different rare neighbours.
        assert all(recall(found, truth) >= 0.98 for found in results.values()), \
            {backend: recall(found, truth) for backend, found in results.items()}


# --- factory, manifest descriptor, errors -------------------------------------------------------
def test_factory_picks_the_configured_backend(tmp_path: Path) -> None:
    require_chromadb()
    assert isinstance(open_vector_index(IndexConfig(), tmp_path, 8), FaissDenseIndex)
    assert (tmp_path / "dense.faiss").exists() is False  # nothing written before save
    chroma = open_vector_index(IndexConfig(backend="chroma"), tmp_path / "My KB!", 8)
    assert isinstance(chroma, ChromaIndex) and chroma.stats()["collection"] == "My-KB-dense"
    assert (tmp_path / "My KB!" / "chroma").is_dir()


def test_manifest_descriptor_pins_the_backend_and_collection(tmp_path: Path) -> None:
    require_chromadb()
    assert index_descriptor(IndexConfig(), tmp_path) == FAISS_DESCRIPTOR
    remote = IndexConfig(backend="chroma", chroma_url="http://u:secret@db.local:8000", chroma_collection="c01")
    assert index_descriptor(remote, tmp_path) == {"backend": "chroma", "location": "http://db.local:8000",
                                                  "collection": "c01"}  # never the credentials
    # Two KBs in directories of the same name get different collections, so a shared server keeps them apart.
    embedded = IndexConfig(backend="chroma")
    first, second = index_descriptor(embedded, tmp_path / "a" / "kb"), index_descriptor(embedded, tmp_path / "b" / "kb")
    assert first["collection"].startswith("kb-dense-") and first["collection"] != second["collection"]
    index = open_vector_index(embedded, tmp_path / "a" / "kb", 8, stored=first)
    assert index.stats()["collection"] == first["collection"]
    for config, stored in ((embedded, FAISS_DESCRIPTOR), (IndexConfig(), first),
                           (replace(embedded, chroma_collection="other"), first), (remote, first)):
        with pytest.raises(KnowledgeBaseError, match="keeps its vectors in .* set \\[index\\] backend"):
            open_vector_index(config, tmp_path / "a" / "kb", 8, stored=stored)
    assert isinstance(open_vector_index(IndexConfig(), tmp_path, 8, stored=FAISS_DESCRIPTOR), FaissDenseIndex)


def test_unreachable_chroma_server_says_what_to_do() -> None:
    require_chromadb()
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(KnowledgeBaseError, match="unreachable.*expected a running server.*chroma run"):
        open_vector_index(IndexConfig(backend="chroma", chroma_url=url), Path("/nonexistent"), 8)


def test_embedded_chroma_is_read_back_by_another_process(tmp_path: Path) -> None:
    require_chromadb()
    index = open_vector_index(IndexConfig(backend="chroma"), tmp_path, DIM)
    vectors = random_unit(300)
    index.upsert(np.arange(300) + 1, vectors)
    index.save()
    probe = ("import sys, numpy as np; from pathlib import Path; from assistant.core.settings import IndexConfig; "
             "from assistant.indexes import open_vector_index; "
             f"i = open_vector_index(IndexConfig(backend='chroma'), Path(sys.argv[1]), {DIM}); "
             "q = np.load(sys.argv[2]); print(len(i), i.search(q, 1)[0][0][0])")
    np.save(tmp_path / "q.npy", vectors[41:42])
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path), str(tmp_path / "q.npy")], cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["300", "42"]


# --- FAISS layouts: the kind follows the size, tombstones, mmap ---------------------------------
def faiss_at(path: Path, **config: object) -> FaissDenseIndex:
    return FaissDenseIndex(path, DIM, IndexConfig(**config))  # type: ignore[arg-type]


def test_auto_switches_kind_on_save_and_keeps_results(tmp_path: Path) -> None:
    path = tmp_path / "dense.faiss"
    index = faiss_at(path, kind="auto", exact_limit=1000)
    vectors, keys = random_unit(1200), np.arange(1200, dtype=np.int64) + 1
    index.upsert(keys[:500], vectors[:500])
    index.upsert(keys[500:], vectors[500:])
    assert index.stats()["kind"] == "flat"  # decided at (re)build time, not on every upsert
    index.save()
    assert index.stats()["kind"] == "hnsw" and faiss_at(path, kind="auto", exact_limit=1000).kind == "hnsw"
    index.delete(keys[:200].tolist())  # 1000 left: above 90% of the limit, so no flip back yet
    index.save()
    assert index.kind == "hnsw" and index.stats()["tombstones"] == 200  # 200 of 1200 stored: under the share
    index.delete(keys[200:400].tolist())  # 800 left: below 90% of the limit
    index.save()
    reopened = faiss_at(path, kind="auto", exact_limit=1000)
    assert reopened.kind == "flat" and reopened.keys() == set(keys[400:].tolist())
    rows = reopened.search(vectors[400:420], 1)
    assert [row[0][0] for row in rows] == keys[400:420].tolist()


def test_hnsw_tombstones_persist_then_get_rebuilt_away(tmp_path: Path) -> None:
    path = tmp_path / "dense.faiss"
    index = faiss_at(path, kind="hnsw")
    vectors, keys = random_unit(1000), np.arange(1000, dtype=np.int64)
    index.upsert(keys, vectors)
    index.delete(keys[:100].tolist())
    index.upsert(keys[100:150], random_unit(50, seed=8))  # replacing also leaves a tombstone
    index.save()
    reopened = faiss_at(path, kind="hnsw")
    assert reopened.stats()["tombstones"] == 150 and len(reopened) == 900
    assert not set(keys[:100].tolist()) & {k for row in reopened.search(vectors[:100], 10) for k, _ in row}
    reopened.delete(keys[150:300].tolist())  # 300 dead of 1050 stored: past the share
    reopened.save()
    assert reopened.stats()["tombstones"] == 0 and len(faiss_at(path, kind="hnsw")) == 750


def test_ivf_trains_once_there_is_enough_data(tmp_path: Path) -> None:
    index = faiss_at(tmp_path / "dense.faiss", kind="ivf", nprobe=4)
    index.upsert(np.arange(100), random_unit(100))
    assert index.kind == "flat"  # 100 vectors cannot train even one list well
    index.upsert(np.arange(100, 3000), random_unit(2900, seed=1))
    index.save()
    stats = index.stats()
    assert stats["kind"] == "ivf" and stats["nlist"] == int(np.sqrt(3000)) and stats["count"] == 3000
    index.delete(np.arange(0, 3000, 2).tolist())
    rows = index.search(random_unit(5, seed=2), 10)
    assert all(len(row) == 10 and all(key % 2 for key, _ in row) for row in rows)


def test_mmap_reads_in_place_and_reloads_before_a_write(tmp_path: Path) -> None:
    path = tmp_path / "dense.faiss"
    for kind in ("flat", "hnsw"):
        writer = faiss_at(path, kind=kind)
        writer.upsert(np.arange(300), random_unit(300))
        writer.save()
        mapped = faiss_at(path, kind=kind, mmap=True)
        assert mapped.search(random_unit(300)[7:8], 1)[0][0][0] == 7 and mapped.stats()["mmap"] is True
        mapped.upsert([1000], random_unit(1, seed=3))  # FAISS aborts on writing a mapped index: reloaded first
        mapped.delete([7])
        assert mapped.stats()["mmap"] is False and len(mapped) == 300 and 7 not in mapped.keys()
        mapped.save()
        assert len(faiss_at(path, kind=kind, mmap=True)) == 300
        path.unlink()


def test_save_without_changes_does_not_rewrite(tmp_path: Path) -> None:
    path = tmp_path / "dense.faiss"
    index = faiss_at(path, kind="flat")
    index.upsert(np.arange(10), random_unit(10))
    index.save()
    first = path.stat().st_mtime_ns
    again = faiss_at(path, kind="flat")
    again.search(random_unit(1), 3)
    again.save()
    assert path.stat().st_mtime_ns == first
    faiss_at(path, kind="hnsw").save()  # the configured kind changed: rebuilt and written
    assert faiss_at(path).kind == "hnsw"


def test_unexpected_faiss_file_is_reported(tmp_path: Path) -> None:
    import faiss

    faiss.write_index(faiss.IndexFlatL2(DIM), str(tmp_path / "dense.faiss"))
    with pytest.raises(KnowledgeBaseError, match="holds a IndexFlat.*expected a flat, HNSW or IVF"):
        len(faiss_at(tmp_path / "dense.faiss"))
