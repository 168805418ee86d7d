"""Does a source sentence carry the kind of value a question asks for?

"How quickly must Bluebird tell the clinic about a breach?" is answered by a duration ("no later than
72 hours"), "how much paid vacation?" by an amount ("20 days of paid time off"), "how many people may use
the software?" by a number ("up to 25 Named Users"). A sentence from the right clause without one is
not the answer, however close its wording: "a Security Incident notice must describe the nature of the
incident" for "how quickly must they tell us?". The quote fallback (checks.py) uses this both ways: a
sentence without the asked kind of value is not quoted, and one with it may sit further from the
question's wording (its closeness to "how quickly must ... tell" is low: 0.29 for the 72-hour sentence).

Values come from reliability/values.py (units, durations, frequencies, dates, money, percentages);
counts are any number, in digits or words.
"""

from __future__ import annotations

import re

from assistant.reliability.values import extract

TIME = frozenset({"duration", "business days", "date", "frequency"})
_WORDS = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty|"
          r"sixty|ninety|hundred|thousand|half|dozen)")
_NUMBER = re.compile(rf"\d|\b{_WORDS}\b", re.I)
# values.py reads durations in digits; contracts also write "three years", "sixty days"
_WORDED_TIME = re.compile(rf"\b{_WORDS}\s+(?:calendar\s+|business\s+)?(?:years?|months?|weeks?|days?|hours?)\b", re.I)
_NUMBERING = re.compile(r"^\W*(?:§\s*)?\d+(?:\.\d+)*\.?\s")  # a clause number ("6.2 ") is no value
# What each question asks for: a time (how quickly / soon / long / often, when, by when, within how long),
# an amount (how much: any value with a unit, money, a percentage, or a number), a count (how many).
_ASKS_TIME = re.compile(r"\bhow (?:quickly|soon|fast|long|often|frequently)\b|\bwithin how\b|\bby when\b|"
                        r"^\W*when\b|\bwhat (?:is )?the deadline\b", re.I)
_ASKS_AMOUNT = re.compile(r"\bhow much\b", re.I)
_ASKS_COUNT = re.compile(r"\bhow many\b", re.I)


def asked_value(question: str) -> str:
    """"time", "amount", "count", or "" when the question asks for no kind of value."""
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_COUNT.search(question):
        return "count"
    if _ASKS_AMOUNT.search(question):
        return "amount"
    return ""


def carries(sentence: str, kind: str) -> bool:
    """The sentence states a value of the kind ("time", "amount", "count"); True for kind ""."""
    if not kind:
        return True
    sentence = _NUMBERING.sub("", sentence)
    if kind == "time":
        return bool(_WORDED_TIME.search(sentence)) or any(v.dimension.split("/")[0] in TIME for v in extract(sentence))
    return bool(_NUMBER.search(sentence)) or any(not v.dimension.startswith("yes/no") for v in extract(sentence))
