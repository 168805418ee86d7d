"""The last word on quarantined passages: no answer sentence whose only support is a flagged passage is
shown, and a flagged passage is never offered as a citation or a closest passage.

The pipeline already withholds flagged passages from the generator, and every later stage (the
checker and its quote fallback, escalation, self-consistency, the conflict rule, the closest panel)
only sees what the generator saw. This guard does not rely on that staying true: it runs once on the
finished `Answer`, whatever produced it, and

- drops citations that point at a flagged chunk; a shown sentence left without a citation whose passage
  backs it is removed (kept in the record with the reason, like any removed sentence);
- removes a shown sentence that is not backed by a cited passage (a *flagged* "unsupported" one, or one
  without citations) and repeats a flagged passage's words: what the payload would have said;
- drops flagged passages from `closest`;
- abstains when nothing backed is left.

A sentence that a clean passage backs stays, even when a flagged passage says the same: its support is
the clean one."""

from __future__ import annotations

from dataclasses import replace

from assistant.core.text import content_words, numbers, split_sentences
from assistant.core.types import (
    ABSTAIN_UNVERIFIED,
    BACKED_VERDICTS,
    SHOWN_VERDICTS,
    VERDICT_REMOVED,
    Answer,
    Citation,
    SentenceCheck,
)
from assistant.reliability.checks import NOT_FOUND, with_markers

NOTE = "removed: its only support is a passage flagged as possible prompt injection"
MIN_OVERLAP = 0.6  # share of a sentence's content words found in one flagged sentence: it repeats it


def withhold_flagged(answer: Answer) -> Answer:
    """A copy of `answer` with everything that rests on a quarantined passage taken out (see above)."""
    if not answer.quarantined:
        return answer
    flagged_ids = {q.hit.chunk.id for q in answer.quarantined}
    flagged_sentences = [s for q in answer.quarantined for s in split_sentences(q.hit.chunk.text)]
    clean = {c.n: c for c in answer.citations if c.chunk.id not in flagged_ids}
    closest = [h for h in answer.closest if h.chunk.id not in flagged_ids]
    changed = len(clean) != len(answer.citations) or len(closest) != len(answer.closest)
    sentences: list[SentenceCheck] = []
    for s in answer.sentences:
        if s.verdict not in SHOWN_VERDICTS:
            sentences.append(s)
            continue
        kept = tuple(n for n in s.citations if n in clean)
        backed = s.verdict in BACKED_VERDICTS and bool(kept)
        if not backed and (s.verdict in BACKED_VERDICTS or _repeats(s.text, flagged_sentences)):
            sentences.append(replace(s, citations=(), verdict=VERDICT_REMOVED, note=NOTE))
            changed = True
        else:
            changed |= kept != s.citations
            sentences.append(replace(s, citations=kept))
    if not changed:
        return answer
    if not any(s.verdict in BACKED_VERDICTS for s in sentences):
        return replace(answer, text=NOT_FOUND, citations=[], sentences=[], abstained=True, confidence=0.0,
                       closest=closest, abstain_reason=answer.abstain_reason or ABSTAIN_UNVERIFIED)
    return _renumbered(replace(answer, sentences=sentences, closest=closest), clean)


def _repeats(sentence: str, flagged: list[str]) -> bool:
    words = set(content_words(sentence))
    if not words:
        return False
    for other in flagged:
        theirs = set(content_words(other))
        if len(words & theirs) / len(words) >= MIN_OVERLAP and numbers(sentence) <= numbers(other):
            return True
    return False


def _renumbered(answer: Answer, clean: dict[int, Citation]) -> Answer:
    """Citations numbered by first use again, so the answer still reads [1], [2], … with no gap."""
    number: dict[int, int] = {}
    sentences, parts = [], []
    for s in answer.sentences:
        ns = tuple(number.setdefault(n, len(number) + 1) for n in s.citations)
        sentences.append(replace(s, citations=ns))
        if s.verdict in SHOWN_VERDICTS:
            parts.append(with_markers(s.text, ns))
    citations = [Citation(new, clean[old].chunk) for old, new in sorted(number.items(), key=lambda kv: kv[1])]
    return replace(answer, text=" ".join(parts), sentences=sentences, citations=citations)
