"""Citation quality as ALCE defines it (Gao et al., 2023, "Enabling Large Language Models to Generate Text
with Citations"), with this project's verifier standing in for ALCE's NLI model.

* citation recall of a sentence: 1 when it cites at least one passage and its cited passages together
  support it, else 0;
* citation precision of a citation: it is *irrelevant* when the passage alone does not support the
  sentence while the sentence's other citations still do without it; precision = relevant citations /
  all citations.

"Together support" is the support of the sentence by the concatenation of its cited passages. The
verifier scores a sentence against a passage's best-aligned evidence sentence, so the concatenation's
score is the best of the cited passages' scores: that is the value used here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence


@dataclass(frozen=True)
class CitationScores:
    recall: float  # share of sentences whose citations support them (0 when there are no sentences)
    precision: float  # share of citations that are needed (1 when there are no citations)
    sentences: int
    citations: int


def sentence_recall(cited: Sequence[int], scores: Sequence[float], threshold: float) -> bool:
    return bool(cited) and max(scores[i] for i in cited) >= threshold


def irrelevant_citations(cited: Sequence[int], scores: Sequence[float], threshold: float) -> list[int]:
    """Citations that neither support the sentence alone nor are needed by the rest (ALCE's test)."""
    out = []
    for i in cited:
        rest = [j for j in cited if j != i]
        if scores[i] < threshold and rest and max(scores[j] for j in rest) >= threshold:
            out.append(i)
    return out


def citation_scores(cited: Sequence[Sequence[int]], matrix: Sequence[Sequence[float]],
                    threshold: float) -> CitationScores:
    """`cited[k]`: passage indexes sentence k cites; `matrix[k][j]`: support of sentence k by passage j."""
    if len(cited) != len(matrix):
        raise ValueError(f"citation_scores: expected one score row per sentence, found {len(cited)} sentences "
                         f"and {len(matrix)} rows")
    recalled = sum(sentence_recall(c, row, threshold) for c, row in zip(cited, matrix))
    total = sum(len(c) for c in cited)
    # As in ALCE's evaluation code, no citation of a sentence its citations fail to support is relevant.
    relevant = sum(len(c) - len(irrelevant_citations(c, row, threshold)) - _unsupported(c, row, threshold)
                   for c, row in zip(cited, matrix))
    return CitationScores(recall=recalled / len(cited) if cited else 0.0,
                          precision=relevant / total if total else 1.0, sentences=len(cited), citations=total)


def _unsupported(cited: Sequence[int], scores: Sequence[float], threshold: float) -> int:
    """All citations of a sentence when together they do not support it, else 0."""
    return len(cited) if cited and max(scores[i] for i in cited) < threshold else 0
