"""The matching copy the learned injection detectors read, and the windows they score. Text is
normalised as for the rules (injection.normalise: NFKC, invisible characters, look-alikes, case), then
letter-spacing and leetspeak are undone, so "I g n o r e", "b.y.p.a.s.s" and "1gn0r3" read as the
words they spell. Kept apart so both detectors (injection_chars, injection_model) share one definition."""

from __future__ import annotations

import re

from assistant.core.text import sentence_spans
from assistant.reliability.injection import normalise

MIN_WINDOW_CHARS = 30  # shorter sentences ("Dosage.", "7.2.") join the next one

_SPACED = re.compile(r"(?<!\w)(?:[^\W\d_][ .\-]){3,}[^\W\d_](?!\w)")
_LEET_WORD = re.compile(r"(?<![\w@$])(?=[\w@$]*[^\W\d_])(?=[\w@$]*[013457@$])[\w@$]{2,}")
_UNLEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def _unspace(m: re.Match) -> str:
    """"i g n o r e" -> "ignore"; "b.y.p.a.s.s t.h.e" -> "bypass the": with dots or hyphens between the
    letters, a space is where a word ends, so it is kept."""
    run = m.group()
    return re.sub(r"(?<=\w)[.\-](?=\w)", "", run) if re.search(r"\w[.\-]\w", run) else run.replace(" ", "")


def model_text(text: str) -> str:
    """The copy the model reads: normalised, letter-spaced words joined, leetspeak words spelled out.
    A number standing alone ("500 mg", "1-800") is left alone: only tokens mixing letters and digits
    are read as leetspeak."""
    norm = normalise(text)
    norm = _SPACED.sub(_unspace, norm)
    return _LEET_WORD.sub(lambda m: m.group().translate(_UNLEET), norm)


def windows(text: str) -> list[tuple[int, int]]:
    """Sentence spans of `text` with very short ones merged into the next."""
    spans: list[tuple[int, int]] = []
    pending: int | None = None
    for start, end in sentence_spans(text):
        start = start if pending is None else pending
        if end - start < MIN_WINDOW_CHARS:
            pending = start
            continue
        spans.append((start, end))
        pending = None
    if pending is not None:
        spans = spans[:-1] + [(spans[-1][0], len(text.rstrip()))] if spans else [(pending, len(text.rstrip()))]
    return [s for s in spans if text[s[0]:s[1]].strip()] or ([(0, len(text))] if text.strip() else [])
