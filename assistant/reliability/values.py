"""Comparable values stated in a sentence, for telling when two sources disagree (`conflicts.py`).

A value is a *dimension* and a range on it, normalised so that two ways of writing the same thing
compare equal: "1 g" and "1,000 mg" (mass, mg), "12 months" and "1 year" (duration, days), "twice
daily" and "every 12 hours" (frequency, per day), "January 5, 2021" and "2021-01-05" (date), "6.5%"
and "6.5 percent", "1 in 2,000" (a ratio), and yes/no statements ("must not be used" → used: no).

Only values with a unit, a frequency word, a date shape or a yes/no predicate are taken: a bare number
("Section 4", "type 2", "30 patients") says nothing comparable on its own. A value right after a
comparator ("eGFR below 30", "more than 3 days") is a *condition* of the statement, not what it
states: two statements under different conditions are about different cases.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_RANGE = rf"(?P<lo>{NUM})(?:\s*(?:-|–|—|to|or)\s*(?P<hi>{NUM}))?"

# unit as written (lower case) → (dimension, factor to the dimension's base unit)
_UNITS: dict[str, tuple[str, float]] = {
    **dict.fromkeys(("mcg", "µg", "μg", "microgram", "micrograms"), ("mass", 1e-3)),
    **dict.fromkeys(("mg", "milligram", "milligrams"), ("mass", 1.0)),
    **dict.fromkeys(("g", "gram", "grams"), ("mass", 1e3)),
    **dict.fromkeys(("ml", "millilitre", "milliliter", "millilitres", "milliliters"), ("volume", 1.0)),
    **dict.fromkeys(("l", "litre", "liter", "litres", "liters"), ("volume", 1e3)),
    **dict.fromkeys(("units", "unit", "iu"), ("units", 1.0)),
    "mmhg": ("pressure", 1.0), "mmol/l": ("mmol/l", 1.0), "mg/dl": ("mg/dl", 1.0), "meq": ("meq", 1.0),
    **dict.fromkeys(("%", "percent", "per cent"), ("percent", 1.0)),
    **dict.fromkeys(("second", "seconds"), ("duration", 1 / 86400)),
    **dict.fromkeys(("minute", "minutes", "min"), ("duration", 1 / 1440)),
    **dict.fromkeys(("hour", "hours", "hr", "hrs", "h"), ("duration", 1 / 24)),
    **dict.fromkeys(("day", "days", "calendar days", "calendar day"), ("duration", 1.0)),
    # "10 business days" is not "10 days": kept apart rather than guessed at
    **dict.fromkeys(("business day", "business days", "working day", "working days"), ("business days", 1.0)),
    **dict.fromkeys(("week", "weeks"), ("duration", 7.0)),
    **dict.fromkeys(("month", "months"), ("duration", 30.4375)),
    **dict.fromkeys(("year", "years"), ("duration", 365.25)),
}
_UNIT = "|".join(sorted((re.escape(u) for u in _UNITS), key=len, reverse=True))
# "sixty (60) days": the number in brackets carries the value
_QUANTITY = re.compile(rf"(?<![\w.,]){_RANGE}\)?\s*(?P<unit>{_UNIT})(?![\w])"
                       r"(?:\s*(?:/|per\s+|a\s+|an\s+|each\s+)"
                       r"(?P<den>kg|m2|m²|day|dose|week|hour|month|year|kilogram)\b)?",
                       re.I)
_MONEY = re.compile(rf"(?:\$|usd\s?|us\$|€|£)\s?(?P<lo>{NUM})(?:\s*(?P<scale>million|billion|thousand))?", re.I)
_RATIO = re.compile(rf"\b(?:1|one) (?:in|out of) (?P<lo>{NUM})\b", re.I)

_COUNT_WORDS = {"once": 1, "twice": 2, "thrice": 3, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
_TIMES = r"(?:once|twice|thrice|(?:one|two|three|four|five|six|\d+)\s+times?)"
_PERIOD_DAYS = {"day": 1, "daily": 1, "week": 7, "weekly": 7, "month": 30.4375, "monthly": 30.4375,
                "year": 365.25, "yearly": 365.25, "annually": 365.25, "hour": 1 / 24, "hourly": 1 / 24}
_FREQUENCY = re.compile(rf"\b(?P<n>{_TIMES}(?:\s+(?:or|to)\s+{_TIMES})?)\s+(?:a\s+|per\s+|each\s+|every\s+)?"
                        r"(?P<p>day|daily|week|weekly|month|monthly|year|yearly|annually|hour|hourly)\b", re.I)
_EVERY = re.compile(rf"\bevery\s+{_RANGE}\s*(?P<p>hours?|days?|weeks?|months?|years?)\b", re.I)

_MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                        "dec"), 1)}
_MONTH = (r"(?P<m>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|"
          r"oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DATES = (re.compile(rf"\b{_MONTH}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<y>(?:19|20)\d\d)\b", re.I),
          re.compile(rf"\b(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:day\s+of\s+)?{_MONTH},?\s+(?P<y>(?:19|20)\d\d)\b",
                     re.I),
          re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<mm>\d\d)-(?P<d>\d\d)\b"))

# Yes/no statements: an auxiliary, an optional negation, a predicate that answers "is it …?/can it …?".
_PREDICATES = ("recommended|used|taken|given|safe|required|allowed|permitted|advised|needed|necessary|effective|"
               "approved|indicated|contagious|curable|treatable|inherited|covered|refundable|transferable|"
               "assignable|binding|renewable|prescribed|suitable|harmful|dangerous|cured|prevented|spread|"
               "terminated|assigned|renewed|obligated|entitled|liable|exclusive|use|take|terminate|assign|renew|"
               "cause|causes|increase|reduce")
_POLARITY = re.compile(r"\b(?P<aux>is|are|was|were|should|must|may|might|can|could|will|shall|do|does|did|"
                       r"cannot|can't|won't|shouldn't|mustn't|isn't|aren't|doesn't|don't)"
                       r"(?P<neg>\s+not\b|\s+never\b|n't\b)?\s+(?:be\s+|been\s+)?(?:(?:generally|usually|always|"
                       r"routinely|also)\s+)?(?P<pred>" + _PREDICATES + r")\b", re.I)
_NEGATIVE_AUX = {"cannot", "can't", "won't", "shouldn't", "mustn't", "isn't", "aren't", "doesn't", "don't"}
_CONTRAINDICATED = re.compile(r"\bcontraindicated\b", re.I)  # "contraindicated" = must not be used
# A value after one of these is a condition of the statement ("when eGFR is below 30"), not its content.
_COMPARATOR = re.compile(r"(?:below|above|under|over|less\s+than|more\s+than|greater\s+than|lower\s+than|"
                         r"higher\s+than|fewer\s+than|at\s+least|at\s+most|exceeding|exceeds?|older\s+than|"
                         r"younger\s+than|aged?|<|>|≤|≥|=<|>=)\s*$", re.I)
_BARE_CONDITION = re.compile(rf"(?:below|above|under|over|less\s+than|more\s+than|greater\s+than|at\s+least|"
                             rf"<|>|≤|≥)\s*(?P<lo>{NUM})(?![\d%])", re.I)


@dataclass(frozen=True)
class Value:
    dimension: str  # "mass", "mass/kg", "duration", "frequency", "date", "percent", "yes/no:used", ...
    low: float
    high: float
    text: str  # as written, for telling the user what each source says
    condition: bool = False  # follows a comparator: a case the statement is about, not what it states

    def overlaps(self, other: "Value", rel: float = 0.01) -> bool:
        """Ranges touch, allowing 1 % for rounding ("12 months" against "1 year")."""
        slack = rel * max(abs(self.high), abs(other.high), 1e-9)
        return self.low <= other.high + slack and other.low <= self.high + slack


def _num(text: str | None) -> float | None:
    return float(text.replace(",", "")) if text else None


def _times(text: str) -> float:
    word = text.lower().split()[0]
    return float(_COUNT_WORDS.get(word, word)) if word in _COUNT_WORDS or word.isdigit() else 1.0


def extract(sentence: str) -> list[Value]:
    """Every comparable value in `sentence`, each span used once (a frequency's "8 hours" is not also a
    duration; a date's day is not an amount)."""
    taken: list[tuple[int, int]] = []
    out: list[tuple[int, Value]] = []  # with its position: values are listed in the sentence's order

    def free(m: re.Match) -> bool:
        return all(m.end() <= s or m.start() >= e for s, e in taken)

    def add(m: re.Match, dimension: str, low: float, high: float, condition: bool = False) -> None:
        taken.append(m.span())
        text = " ".join(m.group(0).replace(")", " ").split())  # "sixty (60) days" is shown as "60 days"
        out.append((m.start(), Value(dimension, min(low, high), max(low, high), text, condition)))

    for pattern in _DATES:
        for m in pattern.finditer(sentence):
            if free(m):
                numeric = m.groupdict().get("mm")
                month = int(numeric) if numeric else _MONTHS[m.group("m")[:3].lower()]
                stamp = int(m.group("y")) * 10000 + month * 100 + int(m.group("d"))
                add(m, "date", stamp, stamp)
    for m in _FREQUENCY.finditer(sentence):
        if free(m):
            counts = [_times(p) for p in re.split(r"\s+(?:or|to)\s+", m.group("n"), flags=re.I)]
            days = _PERIOD_DAYS[m.group("p").lower()]
            add(m, "frequency", min(counts) / days, max(counts) / days)
    for m in _EVERY.finditer(sentence):
        if free(m):
            days = _UNITS[m.group("p").lower()][1]
            lo, hi = _num(m.group("lo")), _num(m.group("hi")) or _num(m.group("lo"))
            add(m, "frequency", 1 / (hi * days), 1 / (lo * days))
    for m in _QUANTITY.finditer(sentence):
        if free(m):
            dimension, factor = _UNITS[m.group("unit").lower()]
            if m.group("den"):
                dimension += "/" + {"kilogram": "kg", "m²": "m2"}.get(m.group("den").lower(), m.group("den").lower())
            lo = _num(m.group("lo"))
            hi = _num(m.group("hi")) if m.group("hi") else lo
            add(m, dimension, lo * factor, hi * factor, bool(_COMPARATOR.search(sentence[: m.start()])))
    for m in _MONEY.finditer(sentence):
        if free(m):
            scale = {"thousand": 1e3, "million": 1e6, "billion": 1e9}.get((m.group("scale") or "").lower(), 1.0)
            value = _num(m.group("lo")) * scale
            add(m, "money", value, value, bool(_COMPARATOR.search(sentence[: m.start()])))
    for m in _RATIO.finditer(sentence):
        if free(m):
            value = 100.0 / _num(m.group("lo"))
            add(m, "percent", value, value)
    for m in _BARE_CONDITION.finditer(sentence):
        if free(m):  # "eGFR below 30": no unit, but the case the statement covers
            add(m, "number", _num(m.group("lo")), _num(m.group("lo")), True)
    for m in _POLARITY.finditer(sentence):
        negative = bool(m.group("neg")) or m.group("aux").lower() in _NEGATIVE_AUX
        pred = m.group("pred").lower()
        sign = -1.0 if negative else 1.0
        out.append((m.start(), Value(f"yes/no:{_PREDICATE_ROOT.get(pred, pred)}", sign, sign, m.group(0).strip())))
    for m in _CONTRAINDICATED.finditer(sentence):
        out.append((m.start(), Value("yes/no:use", -1.0, -1.0, m.group(0))))
    return [v for _, v in sorted(out, key=lambda p: p[0])]


# Inflections of one predicate compare as one ("is used" / "can use", "terminated" / "terminate").
_PREDICATE_ROOT = {"used": "use", "taken": "take", "terminated": "terminate", "assigned": "assign",
                   "renewed": "renew", "causes": "cause"}
