"""Decoding that keeps the answer format: every sentence ends with a valid `[n]`, at most three sentences.

Applied to each greedy step's logits (fastgen's loop and `model.generate` both call `apply`): when the
model's choice would end a sentence that cites nothing, the choice becomes an opening bracket instead;
inside a bracket only the numbers 1..passages, a comma and the closing bracket can follow; once three
sentences are cited, the answer ends. The text the model chose is kept otherwise, so the constraint only
adds markers (and the verifier still decides whether the cited passage supports the sentence).

Exempt: the not-found sentence and other refusals (they cite nothing by design), and a full stop right
after a digit ("6.5 %" is one number, not a sentence end; the model's next token tells)."""

from __future__ import annotations

import re
from functools import cached_property

import torch

MAX_SENTENCES = 3
MIN_WORDS = 3  # a "sentence" shorter than this ("Yes." "No.") is a lead-in, not a claim needing a source
_OPEN = re.compile(r"\[([\d,\s]*)$")  # the text ends inside an unclosed bracket
_CITED_END = re.compile(r"\[[\d,\s]+\]\s*[.!?]?")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=\])\s*[.!?]\s*")
_LEADING = re.compile(r"^\s*(?:\[[\d,\s]+\]\s*)+")
_REFUSAL = re.compile(r"\b(?:sources?|context|documents?) (?:do|does) not\b|\bnot (?:found |mentioned |stated )?in the "
                      r"(?:sources|context|documents)\b", re.I)


# How the not-found sentence and its variants open: an answer never starts with the sources as its subject.
_REFUSAL_START = re.compile(r"(?:the |these |my )?(?:provided |given |above )?(?:sources?|context|documents?|passages?)\b|"
                            r"(?:the )?(?:information|text)(?: provided| given)? (?:do|does|is)(?:n['’]t| not)?\b|"
                            r"(?:not|no) (?:found|mentioned|information|answer)\b|i (?:do not|don't|cannot|can't)\b", re.I)
# ... and, anywhere in the first sentence, the words that make it one ("The results of the sources do not
# answer", "The resources do not"): the model finds another way in when only the opening is masked.
_REFUSAL_ANY = re.compile(r"\b(?:sources?|resources|context|documents?|passages?)\b[^.]{0,30}?\b(?:do|does|did|is|are)"
                          r"(?: not|n['’]t)\b|\b(?:do|does|did) not (?:answer|mention|say|provide|contain|include|specify|"
                          r"state|address)\b|\bnot (?:in|found in|mentioned in|stated in|provided in|given in) the "
                          r"(?:sources?|context|documents?|passages?|text)\b", re.I)
MAX_REFUSAL_MASKS = 8


class CitationConstraint:
    """Per request (`passages` = the number of numbered sources in the prompt); cheap: the vocabulary
    is classified once per tokenizer and cached on it."""

    def __init__(self, tokenizer, passages: int, eos_ids: tuple[int, ...], max_sentences: int = MAX_SENTENCES,
                 refusals: bool = True) -> None:
        if passages < 1:
            raise ValueError(f"CitationConstraint: expected at least one passage, found {passages}")
        self.tokenizer = tokenizer
        self.passages = passages
        self.eos = tuple(eos_ids)
        self.max_sentences = max_sentences
        self.refusals = refusals
        self.vocab = vocabulary(tokenizer)

    def apply(self, row: torch.Tensor, answer_ids: list[int]) -> torch.Tensor:
        """`row` (1, vocab) scores for the next token given the answer so far; returns them, masked where
        the format requires (a new tensor; `row` is not modified)."""
        text = self.tokenizer.decode(answer_ids, skip_special_tokens=True)
        inside = _OPEN.search(text)
        if inside is not None:
            return self._only(row, self._bracket_ids(inside.group(1)))
        done, current = _sentences(text)
        if done >= self.max_sentences and not current.strip():
            return self._only(row, list(self.eos))
        if not self.refusals and done == 0:
            row = self._no_refusal(row, text)
        choice = int(row.argmax(-1))
        if _after_number_end(text, current, choice, self.vocab):
            # "… is 9.4." and no digit follows: that full stop ended an uncited sentence. The marker goes
            # after it ("9.4. [1]"); the answer checker reads leading markers as the previous sentence's.
            return self._only(row, self._open(text))
        if len(current.split()) < MIN_WORDS and choice in self.vocab.opens:
            # A marker opening a sentence ("[2]. [3] The …") cites nothing the model has said yet.
            out = row.clone()
            out[:, self.vocab.opens] = float("-inf")
            return out
        ends = choice in self.vocab.ends or choice in self.eos
        if not ends or _exempt(current, choice, self.vocab):
            return row
        if choice in self.vocab.bare_ends or choice in self.eos:
            return self._only(row, self._open(text))
        # A token carrying text before its full stop ("%.", ")."): opening a bracket in its place would
        # drop that text, so the model picks again without sentence ends; its next "." gets the marker.
        out = row.clone()
        out[:, self.vocab.end_index] = float("-inf")
        out[:, list(self.eos)] = float("-inf")
        return out

    def _no_refusal(self, row: torch.Tensor, text: str) -> torch.Tensor:
        """The answer may not open with a refusal ("The sources do not answer …"): the choices that would
        start one are masked, best first, until the model picks a word that does not. The passages are
        near the question (retrieval's gate let them through) and what the model writes instead is still
        verified sentence by sentence, so a wrong answer is removed, not shown."""
        out = row
        for _ in range(MAX_REFUSAL_MASKS):
            choice = int(out.argmax(-1))
            candidate = (text + self.vocab.text(choice)).lstrip()
            if not (_REFUSAL_START.match(candidate) or _REFUSAL_ANY.search(candidate)):
                break
            out = out.clone() if out is row else out
            out[:, choice] = float("-inf")
        return out

    def _open(self, text: str) -> list[int]:
        """The one token that opens a marker here: " [" after a word, "[" after a space."""
        wanted = "[" if text[-1:].isspace() else " ["
        return [i for i in self.vocab.opens if self.vocab.text(i) == wanted] or self.vocab.opens

    def _bracket_ids(self, inside: str) -> list[int]:
        numbers = [n for n in re.split(r"\s*,\s*", inside) if n != ""]
        if inside == "" or inside.rstrip().endswith(","):  # a number starts here (after ", " or ",")
            first = [self.vocab.digits[d] for d in range(1, min(9, self.passages) + 1) if d in self.vocab.digits]
            return first + (self.vocab.spaces if inside.endswith(",") else [])
        current = int(numbers[-1]) if numbers and numbers[-1].isdigit() else 0
        allowed = list(self.vocab.closes)
        if self.passages > 1:
            allowed += self.vocab.commas
        allowed += [self.vocab.digits[d] for d in range(10) if d in self.vocab.digits and 0 < current * 10 + d
                    <= self.passages]
        return allowed

    @staticmethod
    def _only(row: torch.Tensor, allowed: list[int]) -> torch.Tensor:
        if not allowed:
            return row
        out = torch.full_like(row, float("-inf"))
        index = torch.tensor(allowed)
        out[:, index] = row[:, index]
        return out


def _sentences(text: str) -> tuple[int, str]:
    """(cited sentences finished, the sentence being written)."""
    done = len(_CITED_END.findall(text))
    parts = _SENTENCE_END.split(text)
    # Markers leading the sentence ("9.4. [1] Next …") belong to the sentence before it.
    return done, _LEADING.sub("", parts[-1]) if parts else ""


# The last word before a full stop that is an abbreviation, not a sentence end: initials ("P.A.D",
# "U.S"), a single letter, "e.g", "i.e" and a few titles and company suffixes.
_ABBREVIATION = re.compile(r"(?:^|[\s(\[\"'])(?:[A-Za-z](?:\.[A-Za-z])*|e\.g|i\.e|Dr|Mr|Mrs|Ms|St|No|vs|Inc|Ltd|Co|Corp|"
                           r"approx|Fig|Sec|cf)$")


def _exempt(current: str, choice: int, vocab: "Vocabulary") -> bool:
    """No marker is forced here: a lead-in too short to be a claim, a refusal, a sentence that already
    cites, an abbreviation's full stop, or one straight after a digit (a decimal point until the next
    token says otherwise: `_after_number_end`)."""
    if len(current.split()) < MIN_WORDS or _REFUSAL.search(current) or "[" in current:
        return True
    if choice in vocab.bare_dots and _ABBREVIATION.search(current):
        return True
    return choice in vocab.bare_dots and current.rstrip()[-1:].isdigit() and current == current.rstrip()


def _after_number_end(text: str, current: str, choice: int, vocab: "Vocabulary") -> bool:
    """The text ends "digit." (let through as a possible decimal point), the model now writes no digit,
    and the sentence it ended cites nothing."""
    if not re.search(r"\d\.$", text) or choice in vocab.digit_ids:
        return False
    sentence = re.split(r"(?<=[.!?])\s+", text[:-1])[-1]
    return len(sentence.split()) >= MIN_WORDS and "[" not in sentence and not _REFUSAL.search(sentence)


class Vocabulary:
    """Token ids by role, read from the tokenizer's own decoding of each id."""

    def __init__(self, tokenizer) -> None:
        self.tokenizer = tokenizer

    @cached_property
    def _decoded(self) -> list[str]:
        return [self.tokenizer.decode([i]) for i in range(len(self.tokenizer))]

    def text(self, token: int) -> str:
        return self._decoded[token]

    @cached_property
    def ends(self) -> frozenset[int]:
        """Tokens that end a sentence (their text, trailing space aside, ends with . ! or ?), except
        those that close a citation themselves ("]." after a marker is the format's own end)."""
        return frozenset(i for i, t in enumerate(self._decoded)
                         if t.rstrip().endswith((".", "!", "?")) and not t.lstrip().startswith("]")
                         and t.strip() not in ("...", "…"))

    @cached_property
    def end_index(self) -> list[int]:
        return sorted(self.ends)

    @cached_property
    def bare_ends(self) -> frozenset[int]:
        return frozenset(i for i, t in enumerate(self._decoded) if t.strip() in (".", "!", "?") and len(t) <= 2)

    @cached_property
    def spaces(self) -> list[int]:
        return [i for i, t in enumerate(self._decoded) if t == " "]

    @cached_property
    def bare_dots(self) -> frozenset[int]:
        return frozenset(i for i, t in enumerate(self._decoded) if t == ".")

    @cached_property
    def opens(self) -> list[int]:
        return [i for i, t in enumerate(self._decoded) if t in (" [", "[")]

    @cached_property
    def closes(self) -> list[int]:
        return [i for i, t in enumerate(self._decoded) if t in ("]", "].", "],", "];", "]:", "] ", "]\n")]

    @cached_property
    def commas(self) -> list[int]:
        return [i for i, t in enumerate(self._decoded) if t in (",", ", ")]

    @cached_property
    def digit_ids(self) -> frozenset[int]:
        """Tokens that start with a digit: what may follow a decimal point."""
        return frozenset(i for i, t in enumerate(self._decoded) if t[:1] in "0123456789" and t[:1] != "")

    @cached_property
    def digits(self) -> dict[int, int]:
        return {int(t): i for i, t in enumerate(self._decoded) if len(t) == 1 and t in "0123456789"}


_CACHE: dict[int, Vocabulary] = {}


def vocabulary(tokenizer) -> Vocabulary:
    key = id(tokenizer)
    if key not in _CACHE:
        _CACHE[key] = Vocabulary(tokenizer)
    return _CACHE[key]
