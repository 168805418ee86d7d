"""Which sentence of each cited passage supports the answer: the evidence sentence the verifier's own
signals were measured against (`SignalExtractor`, the best-aligned sentence of the passage), so what the
page highlights is what the check looked at."""

from __future__ import annotations

from assistant.core.types import BACKED_VERDICTS, Answer


def supporting_sentences(answer: Answer, extractor) -> dict[int, list[str]]:
    """Citation number → the passage sentences that back the answer sentences citing it (in order, each
    once). Empty when the answer abstained or the verifier has no signal extractor."""
    if answer.abstained or extractor is None:
        return {}
    chunks = {c.n: c.chunk for c in answer.citations}
    pairs = [(s.text, n) for s in answer.sentences if s.verdict in BACKED_VERDICTS
             for n in s.citations if n in chunks]
    if not pairs:
        return {}
    features = extractor.extract_pairs([claim for claim, _ in pairs], [[chunks[n].text] for _, n in pairs],
                                       answer.question)
    out: dict[int, list[str]] = {}
    for (_, n), f in zip(pairs, features):
        if f.evidence and f.evidence not in out.setdefault(n, []):
            out[n].append(f.evidence)
    return out


def extractor_of(assistant) -> object | None:
    return getattr(assistant.checker.scorer, "extractor", None)
