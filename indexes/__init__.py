"""Index backends behind the stage contracts in `assistant.types`: dense vectors and sparse BM25."""

from .faiss_dense import FaissDenseIndex
from .fts5_sparse import FTS5SparseIndex

__all__ = ["FaissDenseIndex", "FTS5SparseIndex"]
