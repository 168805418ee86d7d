"""Index backends behind the stage contracts in `assistant.types`: dense vectors and sparse BM25."""

from __future__ import annotations

import secrets
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from assistant.core.errors import KnowledgeBaseError
from assistant.indexes.base import VectorIndex
from assistant.indexes.faiss_dense import FaissDenseIndex
from assistant.indexes.fts5_sparse import FTS5SparseIndex

if TYPE_CHECKING:
    from assistant.core.settings import IndexConfig

__all__ = ["FAISS_DESCRIPTOR", "FaissDenseIndex", "FTS5SparseIndex", "VectorIndex", "index_descriptor",
           "open_vector_index"]

# What a KB manifest written before the index backends became configurable implies.
FAISS_DESCRIPTOR = {"backend": "faiss", "file": "dense.faiss"}


def _location(config: "IndexConfig") -> str:
    """Where Chroma lives, without credentials or path: "embedded" or scheme://host:port."""
    if not config.chroma_url:
        return "embedded"
    parsed = urlparse(config.chroma_url)
    return f"{parsed.scheme}://{parsed.hostname}:{parsed.port or (443 if parsed.scheme == 'https' else 8000)}"


def index_descriptor(config: "IndexConfig", kb_path: Path, name: str = "dense") -> dict[str, str]:
    """What a KB manifest records about its dense index, once, when the KB is created. A Chroma
    collection name not given in the settings gets a random suffix: two KBs in directories of the same
    name must never share a collection on one server (reconciling one would delete the other's vectors)."""
    if config.backend == "faiss":
        return {"backend": "faiss", "file": f"{name}.faiss"}
    from assistant.indexes.chroma import collection_name

    collection = config.chroma_collection or f"{collection_name(kb_path, name)}-{secrets.token_hex(4)}"
    return {"backend": "chroma", "location": _location(config),
            "collection": collection_name(kb_path, name, collection)}


def _check(config: "IndexConfig", kb_path: Path, stored: dict[str, Any]) -> None:
    wanted = {"backend": config.backend, "location": _location(config) if config.backend == "chroma" else None}
    found = {"backend": stored.get("backend"), "location": stored.get("location")}
    if config.backend == "chroma" and config.chroma_collection and stored.get("collection"):
        wanted["collection"], found["collection"] = config.chroma_collection, stored["collection"]
    if wanted != found:
        asked = {key: value for key, value in wanted.items() if value}
        raise KnowledgeBaseError(
            f"knowledge base {kb_path} keeps its vectors in {stored}, but the [index] settings ask for {asked}; "
            "set [index] backend, chroma_url and chroma_collection to match it, or ingest into a new --kb directory")


def open_vector_index(config: "IndexConfig", kb_path: Path, dimension: int, name: str = "dense",
                      stored: dict[str, Any] | None = None) -> VectorIndex:
    """The dense index `config` asks for, for the KB at `kb_path`:
    faiss → `<kb>/<name>.faiss`; chroma + no URL → embedded Chroma under `<kb>/chroma`;
    chroma + URL → a collection on that server. `stored` is the KB manifest's descriptor (see
    `index_descriptor`): the settings must agree with it, and its collection name is the one opened.
    Chroma is imported only when asked for."""
    kb_path = Path(kb_path)
    if stored is not None:
        _check(config, kb_path, stored)
        if stored.get("collection"):
            config = replace(config, chroma_collection=stored["collection"])
    if config.backend == "faiss":
        return FaissDenseIndex(kb_path / f"{name}.faiss", dimension, config)
    try:
        import chromadb  # noqa: F401  (only to fail early, with the fix, when it is missing)
    except ImportError:
        raise KnowledgeBaseError("[index] backend = 'chroma' needs the chromadb package, which is not installed; "
                                 "pip install 'chromadb>=1.0,<2', or set [index] backend = 'faiss'") from None
    from assistant.indexes.chroma import ChromaIndex, collection_name

    collection = collection_name(kb_path, name, config.chroma_collection)
    if config.chroma_url:
        return ChromaIndex.server(config.chroma_url, collection, dimension,
                                  hnsw_m=config.hnsw_m, ef_search=config.ef_search)
    return ChromaIndex.embedded(kb_path / "chroma", collection, dimension,
                                hnsw_m=config.hnsw_m, ef_search=config.ef_search)
