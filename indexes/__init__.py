"""Index backends behind the stage contracts in `assistant.types`: dense vectors and sparse BM25."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from .base import VectorIndex
from .faiss_dense import FaissDenseIndex
from .fts5_sparse import FTS5SparseIndex

if TYPE_CHECKING:
    from assistant.settings import IndexConfig

__all__ = ["FaissDenseIndex", "FTS5SparseIndex", "VectorIndex", "open_vector_index", "index_descriptor"]


def open_vector_index(config: "IndexConfig", kb_path: Path, dimension: int, name: str = "dense") -> VectorIndex:
    """The dense index `config` asks for, for the KB at `kb_path`:
    faiss → `<kb>/<name>.faiss`; chroma + no URL → embedded Chroma under `<kb>/chroma`;
    chroma + URL → collection on that server. Chroma is imported only when asked for."""
    kb_path = Path(kb_path)
    if config.backend == "faiss":
        return FaissDenseIndex(kb_path / f"{name}.faiss", dimension, config)
    try:
        import chromadb  # noqa: F401  (only to fail early, with the fix, when it is missing)
    except ImportError:
        from assistant.errors import KnowledgeBaseError

        raise KnowledgeBaseError("[index] backend = 'chroma' needs the chromadb package, which is not installed; "
                                 "pip install 'chromadb>=1.0,<2', or set [index] backend = 'faiss'") from None
    from .chroma import ChromaIndex, collection_name

    collection = collection_name(kb_path, name, config.chroma_collection)
    if config.chroma_url:
        return ChromaIndex.server(config.chroma_url, collection, dimension,
                                  hnsw_m=config.hnsw_m, ef_search=config.ef_search)
    return ChromaIndex.embedded(kb_path / "chroma", collection, dimension,
                                hnsw_m=config.hnsw_m, ef_search=config.ef_search)


def index_descriptor(config: "IndexConfig", kb_path: Path, name: str = "dense") -> dict[str, str]:
    """What the KB manifest records about its dense index, so a reopen with other settings is caught:
    backend, plus where the vectors live (never credentials: a URL is stored without user/password)."""
    if config.backend == "faiss":
        return {"backend": "faiss", "file": f"{name}.faiss"}
    from urllib.parse import urlparse

    from .chroma import collection_name

    where = "embedded"
    if config.chroma_url:
        parsed = urlparse(config.chroma_url)
        where = f"{parsed.scheme}://{parsed.hostname}:{parsed.port or ''}".rstrip(":")
    return {"backend": "chroma", "location": where,
            "collection": collection_name(kb_path, name, config.chroma_collection)}
