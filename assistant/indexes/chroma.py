"""The dense-index contract over a Chroma collection: embedded (files under the KB) or a Chroma server.

Chroma only ever stores vectors this program computed: the collection is opened with
`embedding_function=None` and every call passes embeddings, because Chroma's default embedder would try
to download a model (and there is no network). Ids are `str(key)`, with `{"key": key}` as metadata.
The collection's space is inner product, for which Chroma 1.x returns distance = 1 - <q, v>; scores here
are turned back into the inner product so they compare with FAISS's.
"""

from __future__ import annotations

import re
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import urlparse

import numpy as np

from assistant.core.errors import KnowledgeBaseError
from assistant.indexes.base import upsert_rows

FILTER_IDS_CHUNK = 10_000  # keys per `$in`: Chroma's SQLite refuses ~16k+ bound variables in one query
EXACT_FETCH = 500  # permitted sets up to this size: fetch their vectors (~30 us each) and score exactly
WIDEN_MAX = 2_000  # widest unfiltered query (13 ms at 100k) tried before Chroma's own filter
PAGE = 5_000  # ids per page when listing the collection


def collection_name(kb_path: Path, name: str, configured: str = "") -> str:
    """Chroma wants 3..512 of [a-zA-Z0-9._-], starting and ending alphanumeric; derive one from the
    KB directory and the index's name unless the settings give one."""
    raw = configured or f"{Path(kb_path).resolve().name}-{name}"
    cleaned = re.sub(r"[^a-zA-Z0-9._]+", "-", raw).strip("._-")[:500] or "kb"
    return cleaned if len(cleaned) >= 3 else f"kb-{cleaned}"


def _settings() -> Any:
    from chromadb.config import Settings

    # Telemetry would try to reach the network on every client start; there is none.
    return Settings(anonymized_telemetry=False)


@contextmanager
def _no_embedder_warning() -> Iterator[None]:
    """Chroma 1.x calls a collection without an embedding function "legacy" whenever it reads the
    configuration back (and a test run with -W error turns that into a failure); having none is
    deliberate here (see the module docstring)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "legacy embedding function config", DeprecationWarning)
        yield


def _member(sorted_keys: np.ndarray, key: int) -> bool:
    at = int(np.searchsorted(sorted_keys, key))
    return at < len(sorted_keys) and int(sorted_keys[at]) == key


class ChromaIndex:
    backend = "chroma"

    def __init__(self, client: Any, collection: str, dimension: int, *, hnsw_m: int = 16, ef_search: int = 128,
                 location: str = "", mode: str = "embedded") -> None:
        self.client = client
        self.dimension = dimension
        self.mode = mode
        self.location = location
        self.name = collection
        self._collection = client.get_or_create_collection(
            collection, embedding_function=None, metadata={"dimension": dimension},
            configuration={"hnsw": {"space": "ip", "max_neighbors": hnsw_m, "ef_search": ef_search}})
        hnsw = self._check_collection()
        if hnsw.get("ef_search") not in (None, ef_search):
            # An existing collection keeps the configuration it was created with; ef_search is only a
            # search-time breadth, so the settings' value is applied (max_neighbors is fixed at build).
            with _no_embedder_warning():
                self._collection.modify(configuration={"hnsw": {"ef_search": ef_search}})
        try:
            self._batch = max(1, int(client.get_max_batch_size()))
        except Exception:  # older servers do not report it; Chroma's documented floor is safe
            self._batch = 1000

    @classmethod
    def embedded(cls, path: Path, collection: str, dimension: int, *, hnsw_m: int = 16,
                 ef_search: int = 128) -> "ChromaIndex":
        import chromadb

        Path(path).mkdir(parents=True, exist_ok=True)
        client = chromadb.PersistentClient(path=str(path), settings=_settings())
        return cls(client, collection, dimension, hnsw_m=hnsw_m, ef_search=ef_search, location=str(path))

    @classmethod
    def server(cls, url: str, collection: str, dimension: int, *, hnsw_m: int = 16,
               ef_search: int = 128) -> "ChromaIndex":
        import chromadb

        parsed = urlparse(url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise KnowledgeBaseError(f"[index] chroma_url: expected http(s)://HOST[:PORT], found {url!r}")
        port = parsed.port or (443 if parsed.scheme == "https" else 8000)
        try:
            client = chromadb.HttpClient(host=parsed.hostname, port=port, ssl=parsed.scheme == "https",
                                         settings=_settings())
            client.heartbeat()
        except Exception as exc:  # httpx, ValueError and chromadb errors all mean "no usable server here"
            raise KnowledgeBaseError(
                f"Chroma server at {url} is unreachable ({type(exc).__name__}: {exc}); expected a running "
                f"server there. Start one (chroma run --path DIR --host {parsed.hostname} --port {port}), fix "
                "[index] chroma_url, or set it to '' to use embedded Chroma in the KB directory") from None
        return cls(client, collection, dimension, hnsw_m=hnsw_m, ef_search=ef_search, location=url, mode="server")

    def _check_collection(self) -> dict[str, Any]:
        stored = (self._collection.metadata or {}).get("dimension")
        if stored is not None and int(stored) != self.dimension:
            raise KnowledgeBaseError(
                f"Chroma collection {self.name!r} at {self.location} has dimension {stored}, expected "
                f"{self.dimension} from the manifest; set [index] chroma_collection to a new name or delete it")
        with _no_embedder_warning():
            configuration = self._collection.configuration or {}
        hnsw = configuration.get("hnsw") or {}
        space = hnsw.get("space", "ip")
        if space != "ip":
            raise KnowledgeBaseError(
                f"Chroma collection {self.name!r} at {self.location} uses space {space!r}, expected 'ip' "
                "(scores are inner products of normalised vectors); use another [index] chroma_collection")
        return hnsw

    # --- writing ---------------------------------------------------------------------------------
    def upsert(self, keys: Sequence[int], vectors: np.ndarray) -> None:
        """Add vectors, replacing any already stored under the same keys (within a call, the last wins)."""
        ids, rows = upsert_rows(keys, vectors, self.dimension)  # Chroma rejects a batch repeating an id
        for start in range(0, len(ids), self._batch):
            chunk = ids[start:start + self._batch].tolist()
            self._collection.upsert(ids=[str(k) for k in chunk], embeddings=rows[start:start + self._batch],
                                    metadatas=[{"key": k} for k in chunk])

    def delete(self, keys: Sequence[int]) -> None:
        """Remove keys; unknown keys are ignored."""
        ids = [str(int(k)) for k in keys]
        for start in range(0, len(ids), self._batch):
            self._collection.delete(ids=ids[start:start + self._batch])

    def save(self) -> None:
        """Chroma persists every write itself (embedded: its own WAL under the KB; server: the server's)."""

    # --- reading ---------------------------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._collection.count())

    def keys(self) -> set[int]:
        found: set[int] = set()
        offset = 0
        while True:
            page = self._collection.get(include=[], limit=PAGE, offset=offset)["ids"]
            found.update(int(i) for i in page)
            if len(page) < PAGE:
                return found
            offset += PAGE

    def search(self, vectors: np.ndarray, k: int, allowed: np.ndarray | None = None) -> list[list[tuple[int, float]]]:
        """Per query row, up to k (key, score) pairs, best first; only keys in `allowed` when given.

        Chroma's own filter (`where` on the key metadata) costs 20-110 ms per query on 100k vectors
        whatever the set's size, as it scans metadata; so a small permitted set is fetched and scored
        exactly here, a large one is served from one wider unfiltered query, and `where` is the fallback."""
        queries = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
        if queries.shape[1] != self.dimension:
            raise ValueError(f"search: expected queries of dimension {self.dimension}, found {queries.shape[1]}; "
                             "embed them with the KB's embedding model")
        count = len(self)
        permitted = None if allowed is None else np.unique(np.asarray(allowed, dtype=np.int64))
        if k <= 0 or count == 0 or (permitted is not None and not len(permitted)):
            return [[] for _ in range(len(queries))]
        if permitted is None:
            return self._query(queries, min(k, count), None)
        if len(permitted) <= EXACT_FETCH:
            return self._exact(queries, k, permitted)
        rows: list[list[tuple[int, float]]] = [[] for _ in range(len(queries))]
        todo = list(range(len(queries)))
        wide = int(3 * k * count / len(permitted)) + k  # expect ~3k permitted hits among them
        if wide <= WIDEN_MAX:
            for i, hits in enumerate(self._query(queries, min(count, wide), None)):
                rows[i] = [hit for hit in hits if _member(permitted, hit[0])][:k]
            todo = [i for i in todo if len(rows[i]) < k]
        if todo:
            # `where` applies inside Chroma's search, before its top-k is cut; chunks bound the request
            # (SQLite's variable limit), and the best k of the per-chunk bests are the best k overall.
            merged: list[list[tuple[int, float]]] = [[] for _ in todo]
            for start in range(0, len(permitted), FILTER_IDS_CHUNK):
                chunk = permitted[start:start + FILTER_IDS_CHUNK]
                for row, hits in zip(merged, self._query(queries[todo], min(k, len(chunk)), chunk)):
                    row.extend(hits)
            for i, row in zip(todo, merged):
                rows[i] = sorted(row, key=lambda hit: -hit[1])[:k]
        # Chroma's filtered HNSW walk can still come back short: score those rows exactly.
        short = [i for i, row in enumerate(rows) if len(row) < k]
        for i, row in zip(short, self._exact(queries[short], k, permitted) if short else []):
            rows[i] = row
        return rows

    def _query(self, queries: np.ndarray, n: int, keys: np.ndarray | None) -> list[list[tuple[int, float]]]:
        # `where` on the key metadata, not `ids=`: Chroma 1.x fails the whole query ("Error finding id")
        # when an `ids` filter names an id it does not hold, and a permitted set routinely does.
        filters: dict[str, Any] = {} if keys is None else {"where": {"key": {"$in": keys.tolist()}}}
        result = self._collection.query(query_embeddings=queries, n_results=n, include=["distances"], **filters)
        return [[(int(i), 1.0 - float(d)) for i, d in zip(row_ids, row_distances)]
                for row_ids, row_distances in zip(result["ids"], result["distances"])]

    def _exact(self, queries: np.ndarray, k: int, permitted: np.ndarray) -> list[list[tuple[int, float]]]:
        """Fetch the permitted vectors the collection holds (absent ids are simply not returned) and
        score them here."""
        held: list[int] = []
        vectors: list[np.ndarray] = []
        for start in range(0, len(permitted), self._batch):
            got = self._collection.get(ids=[str(i) for i in permitted[start:start + self._batch].tolist()],
                                       include=["embeddings"])
            held.extend(int(i) for i in got["ids"])
            vectors.extend(np.asarray(v, dtype=np.float32) for v in got["embeddings"])
        if not held:
            return [[] for _ in range(len(queries))]
        scores = queries @ np.stack(vectors).T
        tops = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        return [[(held[j], float(row[j])) for j in top] for row, top in zip(scores, tops)]

    def stats(self) -> dict[str, Any]:
        info: dict[str, Any] = {"backend": "chroma", "kind": "hnsw", "mode": self.mode, "count": len(self),
                                "dimension": self.dimension, "collection": self.name, "location": self.location}
        if self.mode == "embedded":
            root = Path(self.location)
            info["file_bytes"] = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
        return info
