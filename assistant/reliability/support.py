"""Support of a claim sentence by a passage, from cheap local signals measured against the passage's
best-aligned evidence sentence: content-word recall, embedding
similarity, and number consistency. Scoring per window rather than per passage matters: a wrong
answer often names something the passage mentions elsewhere ("albuterol" as the daily controller)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from assistant.core.text import content_words, numbers, split_sentences
from assistant.embedding.embedder import Embedder


@dataclass(frozen=True)
class Support:
    score: float  # 0..1
    lexical: float
    semantic: float
    numbers_ok: bool
    evidence: str  # the best-aligned window of the passage


def evidence_windows(passage: str) -> list[str]:
    # Single sentences only: joining neighbours lets "X is the daily controller" borrow "X" from the
    # next sentence. A claim fusing two sentences then fails, which is the safe direction.
    return [s for s in split_sentences(passage) if any(ch.isalnum() for ch in s)] or [passage]


class SupportScorer:
    """score = max over the passage's sentences of (lexical + semantic) / 2, halved when the claim states a
    number the sentence lacks (a copied-wrong dose or date must not pass on wording alone). Lexical
    support is the lower of two recalls in that sentence: of all the claim's content words, and of
    the words it adds to the question (echoing the question proves nothing; the new words are the
    answer and must sit in the same sentence as the rest)."""

    threshold = 0.55  # uncalibrated: chosen on the demo corpus; the calibrated Verifier has its own

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def score_matrix(self, claims: Sequence[str], passages: Sequence[str], question: str = "") -> list[list[Support]]:
        """support[i][j] of claim i by passage j, embedding everything in one batch."""
        windows = [evidence_windows(p) for p in passages]
        flat = [w for ws in windows for w in ws]
        vectors = self.embedder.encode(list(claims) + flat)
        claim_vecs, window_vecs = vectors[: len(claims)], vectors[len(claims):]
        window_words = [set(content_words(w)) for w in flat]
        window_numbers = [numbers(w) for w in flat]
        asked = set(content_words(question))
        out: list[list[Support]] = []
        for i, claim in enumerate(claims):
            words = content_words(claim)
            novel = [w for w in words if w not in asked] or words
            claim_numbers = numbers(claim)
            sims = window_vecs @ claim_vecs[i]
            row, offset = [], 0
            for ws in windows:
                best: Support | None = None
                for k in range(offset, offset + len(ws)):
                    semantic = max(0.0, float(sims[k]))
                    lexical = min(_recall(words, window_words[k]), _recall(novel, window_words[k]))
                    numbers_ok = claim_numbers <= window_numbers[k]
                    score = (lexical + semantic) / 2 * (1.0 if numbers_ok else 0.5)
                    if best is None or score > best.score:
                        best = Support(round(score, 4), round(lexical, 4), round(semantic, 4), numbers_ok, flat[k])
                offset += len(ws)
                row.append(best)
            out.append(row)
        return out


def _recall(words: list[str], vocabulary: set[str]) -> float:
    return sum(w in vocabulary for w in words) / len(words) if words else 0.0
