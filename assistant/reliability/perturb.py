"""Synthetic wrong claims: a true sentence with one thing changed, the way small models get it wrong
(a number copied wrongly, a dropped or added "not", the wrong drug or party). Used to fit the
calibration and to benchmark the verifier; each function returns None when the sentence offers
nothing to change."""

from __future__ import annotations

import random
import re
from typing import Sequence

from assistant.reliability.signals import _DRUG, entities

_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.]*\d)")
_AUX = re.compile(r"\b(is|are|was|were|can|could|will|would|should|may|might|must|has|have|had|does|do|did|shall)\b")
_NEGATED = re.compile(r"\b(is|are|was|were|can|could|will|would|should|may|might|must|has|have|had|does|do|did|shall)"
                      r"\s+not\b|\b(?:never|no longer)\b", re.I)
_PARTIES = (("Receiving Party", "Disclosing Party"), ("Recipient", "Discloser"), ("Employee", "Employer"),
            ("Licensee", "Licensor"), ("Buyer", "Seller"))
KINDS = ("number", "negation", "entity", "unit", "antonym", "jurisdiction")
# A duration or dose unit traded for its neighbour: "60 days" → "60 months" keeps every digit.
_UNIT_SWAPS = {"days": "months", "day": "month", "months": "years", "month": "year", "years": "months",
               "year": "month", "weeks": "days", "week": "day", "hours": "days", "hour": "day", "mg": "g",
               "g": "mg", "mcg": "mg", "ml": "l", "minutes": "hours"}
_UNIT = re.compile(r"(?<=\d)(\s*\)?\s*)(" + "|".join(sorted(_UNIT_SWAPS, key=len, reverse=True)) + r")\b", re.I)
# Advice reversed with one word: the perturbation a small model makes when it gets the sense backwards.
_ANTONYMS = {"increase": "decrease", "increases": "decreases", "increased": "decreased", "higher": "lower",
             "high": "low", "more": "less", "avoid": "drink", "before": "after", "after": "before",
             "above": "below", "below": "above", "common": "rare", "rare": "common", "early": "late",
             "may": "may not", "must": "need not", "shall": "shall not", "exclusive": "non-exclusive",
             "non-exclusive": "exclusive", "prior": "later", "include": "exclude", "includes": "excludes",
             "causes": "prevents", "cause": "prevent", "reduce": "raise", "reduces": "raises", "lowers": "raises"}
_ANTONYM = re.compile(r"\b(" + "|".join(sorted(map(re.escape, _ANTONYMS), key=len, reverse=True)) + r")\b", re.I)
JURISDICTIONS = ("Delaware", "New York", "California", "Texas", "Nevada", "Florida", "Illinois", "Ontario",
                 "England and Wales", "Massachusetts", "Washington", "Georgia", "Pennsylvania", "Ohio",
                 "Hong Kong", "Singapore", "British Columbia", "Colorado", "Virginia", "New Jersey")


def change_number(sentence: str, rng: random.Random) -> str | None:
    found = [m for m in _NUMBER.finditer(sentence)]
    if not found:
        return None
    m = rng.choice(found)
    value = m.group(0)
    if "." in value:
        new = f"{float(value) * rng.choice((2, 3, 0.5)):.{len(value.split('.')[1])}f}"
    else:
        n = int(value)
        new = str(rng.choice([n + d for d in (1, 2, 3, 5, 10) if n + d != n] + ([n * 2] if n > 1 else [])))
    if new == value:
        new = str(int(float(value)) + 7)
    return sentence[: m.start()] + new + sentence[m.end():]


def toggle_negation(sentence: str) -> str | None:
    """Removes the sentence's negation when it has one, else inserts "not" after its first auxiliary."""
    m = _NEGATED.search(sentence)
    if m:
        text = m.group(0)
        if text.lower().endswith(" not"):
            replacement = m.group(1)
        else:
            replacement = "always" if text.lower() == "never" else "still"
        return sentence[: m.start()] + replacement + sentence[m.end():]
    m = _AUX.search(sentence)
    if not m:
        return None
    return sentence[: m.end()] + " not" + sentence[m.end():]


def swap_entity(sentence: str, pool: Sequence[str], rng: random.Random) -> str | None:
    """Replaces a name (party, drug, capitalised entity) with another from `pool` or the party's
    counterpart, keeping the rest of the sentence."""
    for a, b in _PARTIES:
        for x, y in ((a, b), (b, a)):
            if re.search(rf"\b{x}\b", sentence):
                return re.sub(rf"\b{x}\b", y, sentence, count=1)
    own = entities(sentence)
    candidates = [m for m in _DRUG.finditer(sentence)] or [
        m for m in re.finditer(r"\b[A-Z][a-zA-Z\-]{3,}\b", sentence) if m.start() > 0 and m.group(0).lower() in own]
    options = [p for p in pool if p.lower() not in sentence.lower() and p.lower() not in own]
    if not candidates or not options:
        return None
    m = rng.choice(candidates)
    new = rng.choice(options)
    new = new if m.group(0)[0].isupper() else new.lower()
    return sentence[: m.start()] + new + sentence[m.end():]


def entity_pool(texts: Sequence[str]) -> list[str]:
    """Drug-like and capitalised names found in `texts`: replacements that read naturally."""
    pool = set()
    for t in texts:
        pool |= {m.group(0) for m in _DRUG.finditer(t)}
        pool |= {m.group(0) for m in re.finditer(r"(?<=[a-z,] )[A-Z][a-z]{4,}\b", t)}
    return sorted(pool)


def _swap_word(sentence: str, pattern: re.Pattern, table: dict[str, str], group: int,
               rng: random.Random) -> str | None:
    """One match of `pattern` (its word in `group`) replaced by table[word], keeping a capital."""
    found = list(pattern.finditer(sentence))
    if not found:
        return None
    m = rng.choice(found)
    word = m.group(group)
    new = table[word.lower()]
    new = new.capitalize() if word[0].isupper() else new
    return sentence[: m.start(group)] + new + sentence[m.end(group):]


def swap_unit(sentence: str, rng: random.Random) -> str | None:
    return _swap_word(sentence, _UNIT, _UNIT_SWAPS, 2, rng)


def swap_antonym(sentence: str, rng: random.Random) -> str | None:
    return _swap_word(sentence, _ANTONYM, _ANTONYMS, 1, rng)


def swap_jurisdiction(sentence: str, rng: random.Random) -> str | None:
    present = [j for j in JURISDICTIONS if re.search(rf"\b{re.escape(j)}\b", sentence)]
    if not present:
        return None
    old = rng.choice(present)
    new = rng.choice([j for j in JURISDICTIONS if j not in present])
    return re.sub(rf"\b{re.escape(old)}\b", new, sentence)


def perturb(sentence: str, kind: str, pool: Sequence[str], rng: random.Random) -> str | None:
    if kind == "number":
        return change_number(sentence, rng)
    if kind == "negation":
        return toggle_negation(sentence)
    if kind == "entity":
        return swap_entity(sentence, pool, rng)
    if kind == "unit":
        return swap_unit(sentence, rng)
    if kind == "antonym":
        return swap_antonym(sentence, rng)
    if kind == "jurisdiction":
        return swap_jurisdiction(sentence, rng)
    raise ValueError(f"perturbation kind: expected one of {KINDS}, found {kind!r}")
