"""Sentence embeddings (normalised, float32) from a bundled or local sentence-transformers model.

Two backends give the same kind of vectors: "torch" runs the sentence-transformers model as it is;
"onnx-int8" runs an int8 ONNX export of it (built locally on first use, cached), about 2-3x faster on CPU
with cosine >= ~0.98 to the torch vectors. Their identities differ, so a knowledge base built with one
is not silently queried with the other.
"""

from __future__ import annotations

import threading
from typing import Any, Sequence

import numpy as np

from assistant.core.models import embedder_identity, embedder_path, quiet_transformers
from assistant.core.settings import EmbeddingConfig

ONNX_INT8 = "onnx-int8"


class Embedder:
    def __init__(self, config: EmbeddingConfig | None = None) -> None:
        self.config = config or EmbeddingConfig()
        base = embedder_identity(self.config.model)
        self.identity = base if self.config.backend == "torch" else f"{base}+{self.config.backend}"
        self._base_identity = base
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                self._model = self._load_onnx() if self.config.backend == ONNX_INT8 else self._load_torch()

    def _load_torch(self) -> Any:
        from sentence_transformers import SentenceTransformer

        quiet_transformers()
        model = SentenceTransformer(str(embedder_path(self.config.model)), device="cpu")
        model.max_seq_length = min(self.config.max_seq_length, model.max_seq_length or 10**6)
        return model

    def _load_onnx(self) -> Any:
        from assistant.embedding.onnx_embedder import OnnxEmbedder

        model = OnnxEmbedder(embedder_path(self.config.model), self._base_identity,
                             max_seq_length=self.config.max_seq_length)
        model.load()
        return model

    @property
    def dimension(self) -> int:
        self.warm_up()
        if self.config.backend == ONNX_INT8:
            return int(self._model.dimension)
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if self.config.backend == ONNX_INT8:
            return self._model.encode(list(texts))
        vectors = self._model.encode(list(texts), batch_size=self.config.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)
