"""Optional cross-encoder reranking of the fused candidates.

None is bundled: a cross-encoder reads query and passage together, which is more accurate than
comparing two embeddings but costs one transformer pass per passage — on a 2-core CPU about the
price of embedding the candidates again. It is used only when `[retrieval] reranker` names a local
sentence-transformers CrossEncoder directory (e.g. a downloaded cross-encoder/ms-marco-MiniLM-L-6-v2).
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from assistant.core.errors import ModelNotFoundError
from assistant.retrieval.fusion import Ranked, normalise


class PairScorer(Protocol):
    def scores(self, query: str, passages: Sequence[str]) -> np.ndarray:
        """One relevance score per passage, higher = more relevant."""


class CrossEncoderReranker:
    """A local sentence-transformers CrossEncoder, loaded on first use."""

    def __init__(self, path: str | Path, max_length: int = 512, batch_size: int = 16) -> None:
        self.path = Path(path).expanduser()
        if not (self.path / "config.json").is_file():
            raise ModelNotFoundError(
                f"reranker {str(path)!r}: expected a local sentence-transformers CrossEncoder directory with "
                f"config.json, found nothing usable at {self.path}; set [retrieval] reranker = \"\" to run without one")
        self.max_length, self.batch_size = max_length, batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        with self._lock:
            if self._model is None:
                from sentence_transformers import CrossEncoder

                from assistant.core.models import (
                    quiet_transformers,  # also pins the hub offline before any model load
                )

                quiet_transformers()
                self._model = CrossEncoder(str(self.path), device="cpu", max_length=self.max_length)
            return self._model

    def scores(self, query: str, passages: Sequence[str]) -> np.ndarray:
        if not passages:
            return np.zeros(0, dtype=np.float32)
        model = self._load()
        out = model.predict([(query, p) for p in passages], batch_size=self.batch_size, show_progress_bar=False)
        return np.asarray(out, dtype=np.float32).reshape(len(passages), -1)[:, -1]


def rerank(query: str, ranked: Sequence[Ranked], texts: Mapping[int, str], scorer: PairScorer, depth: int,
           weight: float, k: int) -> list[Ranked]:
    """The best max(depth, k) fused candidates re-ordered by
    weight · minmax(cross-encoder) + (1 − weight) · minmax(fused); returns the top k.

    Blending (weight < 1) keeps the hybrid signal where a general-domain cross-encoder misjudges
    domain text. Only the rescored head is returned, so the scores stay comparable with each other."""
    head = list(ranked[:max(depth, k)])
    if not head:
        return []
    ce = scorer.scores(query, [texts[r.key] for r in head])
    ce_norm = normalise({r.key: float(s) for r, s in zip(head, ce)}, "minmax")
    fused_norm = normalise({r.key: r.score for r in head}, "minmax")
    blended = [replace(r, score=weight * ce_norm[r.key] + (1.0 - weight) * fused_norm[r.key]) for r in head]
    # Stable sort: equal blended scores keep the fused order.
    return sorted(blended, key=lambda r: -r.score)[:k]
