"""Per-answer checks: split into sentences, map `[n]` to passages, verify, repair citations,
fall back to a verbatim quote, or abstain."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ..settings import ReliabilityConfig
from ..text import CITATION, content_words, split_sentences
from ..types import VERDICT_SUPPORTED, VERDICT_UNSUPPORTED, Citation, Hit, SentenceCheck
from .support import SupportScorer

NOT_FOUND = "Not found in the knowledge base."
_PREAMBLE = re.compile(r"^(?:(?:the )?answer(?: is)?\s*:\s*|according to (?:the )?sources?(?: \[\d+\])?,\s*)", re.I)
_REFUSAL = re.compile(r"\b(not (?:found |mentioned |stated |given |provided )?in the (?:sources|context|text)|"
                      r"(?:sources|context) (?:do|does) not)\b", re.I)


@dataclass
class CheckResult:
    text: str
    citations: list[Citation]
    sentences: list[SentenceCheck]
    abstained: bool
    confidence: float


class AnswerChecker:
    def __init__(self, scorer: SupportScorer, config: ReliabilityConfig | None = None) -> None:
        self.scorer = scorer
        self.config = config or ReliabilityConfig()

    def check(self, question: str, raw: str, hits: Sequence[Hit]) -> CheckResult:
        claims = _claims(raw, len(hits), question)
        checked: list[tuple[str, tuple[int, ...], float, str, str]] = []  # text, hit indexes, support, verdict, note
        if claims:
            matrix = self.scorer.score_matrix([c for c, _ in claims], [h.chunk.text for h in hits], question)
            for (claim, cited), row in zip(claims, matrix):
                checked.append(self._judge(claim, cited, [s.score for s in row]))
        if self.config.unsupported == "drop":
            checked = [c for c in checked if c[3] == VERDICT_SUPPORTED]
        if not any(c[3] == VERDICT_SUPPORTED for c in checked) and self.config.quote_fallback:
            quote = self._quote(question, hits)
            if quote:
                checked = [quote]
        if not any(c[3] == VERDICT_SUPPORTED for c in checked):
            return CheckResult(NOT_FOUND, [], [], True, 0.0)
        return _assemble(checked, hits)

    def _judge(self, claim: str, cited: tuple[int, ...], scores: list[float]) -> tuple:
        thr = self.config.support_threshold
        good = tuple(i for i in cited if scores[i] >= thr)
        if good:
            return claim, good, max(scores[i] for i in good), VERDICT_SUPPORTED, ""
        best = int(np.argmax(scores))
        if scores[best] >= thr:
            note = "citation corrected by verifier" if cited else "citation added by verifier"
            return claim, (best,), scores[best], VERDICT_SUPPORTED, note
        support = max((scores[i] for i in cited), default=scores[best])
        return claim, cited, support, VERDICT_UNSUPPORTED, "no source supports this sentence"

    def _quote(self, question: str, hits: Sequence[Hit]) -> tuple | None:
        """The source sentence closest to the question, verbatim, when it is close enough."""
        candidates = [(i, s) for i, h in enumerate(hits) for s in split_sentences(h.chunk.text)
                      if not s.lstrip().startswith(("#", "*")) and len(content_words(s)) >= 4]
        if not candidates:
            return None
        vecs = self.scorer.embedder.encode([question] + [s for _, s in candidates])
        sims = vecs[1:] @ vecs[0]
        # Prefer sentences from the passages retrieval ranked highest, not just any similar sentence.
        ranked = sims + 0.5 * np.array([hits[i].relevance for i, _ in candidates])
        best = int(np.argmax(ranked))
        if sims[best] < self.config.quote_min_similarity:
            return None
        i, sentence = candidates[best]
        # The clause number ("4.2 ") is already in the citation's locator.
        sentence = re.sub(r"^\s*(?:[-*•]\s+|\(?\d+(?:\.\d+)*[.)]?\s+)", "", sentence).strip()
        return sentence, (i,), 1.0, VERDICT_SUPPORTED, "quoted from source"


def _claims(raw: str, n_hits: int, question: str) -> list[tuple[str, tuple[int, ...]]]:
    """(sentence without markers, 0-based cited hit indexes). Drops questions, restatements of the
    question that add nothing, refusals and a trailing fragment cut off by the token limit."""
    asked = set(content_words(question))
    sentences = split_sentences(raw.strip())
    if len(sentences) > 1 and not re.search(r"[.!?][\"'”’)\]]*$", CITATION.sub("", sentences[-1]).strip()):
        sentences = sentences[:-1]
    out = []
    for sentence in sentences:
        cited = tuple(dict.fromkeys(int(n) - 1 for m in CITATION.finditer(sentence)
                                    for n in m.group(1).split(",") if 1 <= int(n) <= n_hits))
        text = " ".join(CITATION.sub(" ", sentence).split())
        text = _PREAMBLE.sub("", text)
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        words = content_words(text)
        if not words or text.endswith("?") or _REFUSAL.search(text) or set(words) <= asked:
            continue
        out.append((text, cited))
    return out


def _assemble(checked: list[tuple], hits: Sequence[Hit]) -> CheckResult:
    """Number citations by first use, so the answer reads [1], [2], … in order."""
    number: dict[int, int] = {}
    sentences, parts = [], []
    for text, cited, support, verdict, note in checked:
        ns = tuple(number.setdefault(i, len(number) + 1) for i in cited) if verdict == VERDICT_SUPPORTED else ()
        sentences.append(SentenceCheck(text=text, citations=ns, support=round(float(support), 3), verdict=verdict,
                                       note=note))
        parts.append(_with_markers(text, ns))
    citations = [Citation(n=n, chunk=hits[i].chunk) for i, n in sorted(number.items(), key=lambda kv: kv[1])]
    supported = [s.support for s in sentences if s.verdict == VERDICT_SUPPORTED]
    confidence = sum(min(1.0, s) for s in supported) / len(sentences)
    text = " ".join(parts)
    return CheckResult(text, citations, sentences, False, round(confidence, 3))


def _with_markers(text: str, ns: tuple[int, ...]) -> str:
    """"… kidney disease [1]." — markers go before the closing punctuation."""
    if not ns:
        return text
    markers = "".join(f" [{n}]" for n in ns)
    m = re.search(r"[.!?;:]+[\"'”’)]*$", text)
    return text[: m.start()] + markers + text[m.start():] if m else text + markers
