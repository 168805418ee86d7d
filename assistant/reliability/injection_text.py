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


# A few of the commonest function words of English and each other language the screen knows.
_STOP = {
    "en": {"the", "and", "of", "to", "is", "in", "for", "this", "with", "you", "are", "be", "that"},
    "de": {"der", "die", "das", "und", "ist", "nicht", "mit", "sie", "ein", "eine", "für", "von", "zu", "den", "wird"},
    "es": {"el", "la", "los", "las", "y", "es", "de", "que", "para", "con", "una", "del", "se", "por", "como"},
    "fr": {"le", "la", "les", "et", "est", "des", "que", "pour", "dans", "une", "du", "un", "sur", "vous", "pas"},
    "it": {"il", "la", "di", "che", "è", "per", "con", "una", "del", "della", "sono", "non", "gli", "le", "si"},
    "pt": {"o", "a", "os", "as", "e", "é", "de", "que", "para", "com", "uma", "do", "da", "não", "em"},
}


def stop_word_counts(text: str) -> dict[str, int]:
    words = re.findall(r"[^\W\d_]+", text.lower())
    return {lang: sum(w in stop for w in words) for lang, stop in _STOP.items()}


def is_other_language(text: str) -> bool:
    """Whether a passage reads as another language than English: some language's stop words outnumber
    English ones. The screen routes such passages to the model trained and calibrated on non-English
    prose (a payload in another language planted in an English passage still reads as English)."""
    counts = stop_word_counts(text)
    return max(v for k, v in counts.items() if k != "en") > counts["en"]
