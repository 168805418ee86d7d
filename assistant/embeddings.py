"""Sentence embeddings (normalised, float32) from a bundled or local sentence-transformers model."""

from __future__ import annotations

import threading
from typing import Sequence

import numpy as np

from .models import embedder_identity, embedder_path, quiet_transformers
from .settings import EmbeddingConfig


class Embedder:
    def __init__(self, config: EmbeddingConfig | None = None) -> None:
        self.config = config or EmbeddingConfig()
        self.identity = embedder_identity(self.config.model)
        self._model = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                from sentence_transformers import SentenceTransformer

                quiet_transformers()

                model = SentenceTransformer(str(embedder_path(self.config.model)), device="cpu")
                model.max_seq_length = min(self.config.max_seq_length, model.max_seq_length or 10**6)
                self._model = model

    @property
    def dimension(self) -> int:
        self.warm_up()
        return int(self._model.get_embedding_dimension())

    def encode(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        self.warm_up()
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self.config.batch_size, normalize_embeddings=True,
                                     convert_to_numpy=True, show_progress_bar=progress)
        return np.ascontiguousarray(vectors, dtype=np.float32)
