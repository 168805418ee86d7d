"""Sentence splitting and word normalisation shared by the chunker and the verifier."""

from __future__ import annotations

import re

# Abbreviations after which a period does not end a sentence (lower-case, without the period).
_ABBREVIATIONS = frozenset("""
e.g i.e etc vs approx dr mr mrs ms prof st no nos sec secs art para cf fig al jr sr inc ltd co corp
u.s u.k jan feb mar apr jun jul aug sep sept oct nov dec mg ml min max
""".split())

# A sentence ends at . ! ? (optionally followed by closing quotes/brackets and citation markers like [2])
# and then whitespace.
_END = re.compile(r"[.!?]+[\"'”’)\]]*(?:\s*\[\d+(?:\s*,\s*\d+)*\])*(?=\s|$)")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-/.%$]*")
CITATION = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")

STOPWORDS = frozenset("""
a an the and or but if then than that this these those of to in on at by for with from as is are was were be
been being it its it's into about over under not no do does did doing have has had having can could should
would may might must will shall i you he she we they them their there here what which who whom whose when where
why how all any both each few more most other some such only own same so too very just also your our my me
his her him us per via within without upon out up down off again further once s t
""".split())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) character spans of the sentences in `text`, whitespace trimmed; newlines between
    blocks (headings, list items, paragraphs) also end a sentence."""
    spans: list[tuple[int, int]] = []
    for b_start, b_end in _blocks(text):
        start = b_start
        for m in _END.finditer(text, b_start, b_end):
            end = m.end()
            if _is_abbreviation(text, start, m.start()) or _is_decimal(text, m.start()):
                continue
            _append(spans, text, start, end)
            start = end
        _append(spans, text, start, b_end)
    return spans


_BLOCK_START = re.compile(r"[ \t]*(?:#|[*\-+•]\s|\d+(?:\.\d+)*[.)]?\s|\([a-z0-9]+\)\s)")


def _blocks(text: str) -> list[tuple[int, int]]:
    """Line groups that sentences never cross: paragraphs, list items, headings (a heading is its own block)."""
    blocks: list[tuple[int, int]] = []
    start = None
    last_end = 0  # end of the latest non-blank line (always set before a block closes)
    prev_heading = False
    pos = 0
    for line in text.splitlines(keepends=True):
        end = pos + len(line.rstrip("\r\n"))
        blank = not line.strip()
        new_block = blank or prev_heading or bool(_BLOCK_START.match(line))
        if new_block and start is not None:
            blocks.append((start, last_end))
            start = None
        if not blank and start is None:
            start = pos
        if not blank:
            last_end = end
        prev_heading = line.lstrip().startswith("#")
        pos += len(line)
    if start is not None:
        blocks.append((start, last_end))
    return blocks


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def _append(spans: list[tuple[int, int]], text: str, start: int, end: int) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _is_abbreviation(text: str, start: int, dot: int) -> bool:
    if text[dot] != ".":
        return False
    m = re.search(r"([A-Za-z][A-Za-z.]*)$", text[start:dot])
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    return word in _ABBREVIATIONS or len(word) == 1  # single initials: "J. Smith"


def _is_decimal(text: str, dot: int) -> bool:
    return text[dot] == "." and dot + 1 < len(text) and text[dot + 1].isdigit()


def content_words(text: str) -> list[str]:
    """Lower-cased, lightly stemmed words that carry meaning (no stopwords, no citation markers)."""
    text = CITATION.sub(" ", text)
    out = []
    for raw in _WORD.findall(text):
        word = raw.lower().strip(".'’-/").replace("’", "'")
        if not word or word in STOPWORDS:
            continue
        out.append(stem(word))
    return out


def stem(word: str) -> str:
    """A light suffix stripper: enough to match 'payable'/'payment'/'paid' would need a lemmatiser;
    this only folds plurals and common verb endings, which is what lexical support needs most."""
    if word[0].isdigit():
        return word
    for suffix, keep in (("ies", "y"), ("sses", "ss"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + keep
    return word


def numbers(text: str) -> set[str]:
    """Numbers as written (commas removed), with a trailing % kept: dose and date checks compare these."""
    text = CITATION.sub(" ", text)
    return {m.group(0).replace(",", "") for m in re.finditer(r"\d[\d,]*(?:\.\d+)?%?", text)}


MAX_QUESTION_CHARS = 4000  # a question (with a follow-up's context) the pipeline, page, API and CLI accept


# A clause number or bullet a sentence copied from its source starts with ("4.3 The Candidate", "(b) The
# Supplier", "- Take"): the citation's locator already says where it is. Only before a capital letter,
# so "4.5 mg is the dose" and "30 days' notice" keep their numbers.
_LEADING_NUMBER = re.compile(r"^\s*(?:[-*•]\s+|\(?(?:\d+(?:\.\d+)*|[a-z]{1,3}|[A-Z])[.)]\s+(?=[A-Z\"“])|"
                             r"\d+(?:\.\d+)+\s+(?=[A-Z\"“]))")
_LINE_END_HYPHEN = re.compile(r"(?<=[a-z])-[ \t]*\n\s*(?=[a-z])")


def display_sentence(text: str) -> str:
    """A sentence as an answer shows it: a word hyphenated across a PDF line end joined ("treat-\nment"),
    line breaks and runs of spaces collapsed, a leading clause number or bullet dropped. The meaning is
    unchanged, so the verifier's verdict on the raw sentence holds for this one."""
    text = " ".join(_LINE_END_HYPHEN.sub("", text).split())
    return _LEADING_NUMBER.sub("", text, count=1).strip()


def check_question(text: str | None, what: str = "question") -> str:
    """The one validation of a question or search query, for every front end: whitespace collapsed,
    1 to MAX_QUESTION_CHARS characters. Raises AssistantError saying what was found and what to do."""
    from .errors import AssistantError

    cleaned = " ".join((text or "").split())
    if not cleaned:
        raise AssistantError(f"the {what} is empty; type a {what}")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise AssistantError(f"the {what} is {len(cleaned)} characters long, over the limit of "
                             f"{MAX_QUESTION_CHARS}; shorten it")
    return cleaned
