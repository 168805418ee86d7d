"""Conflicting sources: when the passages that answer the question state different values for the same
thing (a dose, a period, a date, a percentage, yes or no), the answer says so and quotes both, instead
of letting the generator pick one. A planted "official update: the dose is now 5,000 mg" beside the
real leaflet's 500 mg is the case this exists for: a small model copies whichever passage it read last,
and the verifier would mark that copy *supported*, since one source does say it.

Statements are the sentences of the passages the generator would see that are close to the question
(MiniLM cosine ≥ `min_question_similarity`), with their comparable values (`values.py`). Two statements
disagree when all of these hold, each there to keep different cases from looking like a disagreement:

- they come from different documents (one document's sections state values for different cases:
  adult and child dose, notice to terminate and notice to renew);
- neither refers to its own document ("this Agreement", "hereunder"): two contracts each stating their
  own term do not disagree;
- the two sentences say nearly the same thing (cosine ≥ `min_pair_similarity`; yes/no pairs must also
  share most words);
- they name the same subject words of the question (the drug, the disease, the lease) and the same
  qualifiers (who: child / adult / pregnant; stage: starting / maximum / maintenance; route, form,
  severity, organ, party, event), and the same conditions ("eGFR below 30");
- on one dimension (mass, duration, frequency, ...) no value of one overlaps any value of the other
  ("500 mg or 850 mg" against "850 mg" is not a disagreement).

A disagreement is declared up front when the question asks for that kind of value (a dose question and
two doses, a yes/no question and two polarities), and otherwise only when the generated answer states
a value on the disputed dimension (it took a side). The answer is then two verbatim quotes, each
attributed ("One says: “…”") and cited, so its *supported* badges vouch for what each source says,
never for either value. The rule lives here and is applied once, in `Assistant.ask`, so the page, the
API and the CLI all get it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from assistant.core.text import content_words, split_sentences
from assistant.core.types import (
    SHOWN_VERDICTS,
    VERDICT_SUPPORTED,
    Citation,
    Hit,
    SentenceCheck,
)
from assistant.reliability.checks import CheckResult
from assistant.reliability.values import Value, extract

MAX_PASSAGES = 5  # the top passages the generator sees; deeper ones rarely answer the question
CONFIDENCE = 0.5  # each quote is exact, but which source is right is not known
NOTE = "quoted from source; the sources disagree, check the original documents"

# word → (category, canonical value); `_DEFAULTS` are what a sentence that names none means.
_QUALIFIERS: dict[str, tuple[str, str]] = {
    **{w: ("who", "adult") for w in ("adult", "adults", "grown-ups")},
    **{w: ("who", "child") for w in ("child", "children", "kids", "pediatric", "paediatric", "adolescents",
                                      "adolescent", "teenagers", "teens")},
    **{w: ("who", "infant") for w in ("infant", "infants", "newborn", "newborns", "baby", "babies", "neonates")},
    **{w: ("who", "older") for w in ("elderly", "older", "seniors", "geriatric")},
    **{w: ("who", "pregnant") for w in ("pregnant", "pregnancy", "breastfeeding", "lactating")},
    **{w: ("sex", "female") for w in ("women", "woman", "female", "females", "girls")},
    **{w: ("sex", "male") for w in ("men", "man", "male", "males", "boys")},
    **{w: ("stage", "start") for w in ("starting", "initial", "start")},
    **{w: ("stage", "max") for w in ("maximum", "max", "highest", "ceiling", "cap", "capped")},
    **{w: ("stage", "min") for w in ("minimum", "min", "lowest")},
    **{w: ("stage", "maintenance") for w in ("maintenance", "maintain", "long-term", "thereafter")},
    **{w: ("stage", "loading") for w in ("loading",)},
    **{w: ("route", "iv") for w in ("intravenous", "intravenously", "iv", "injection", "injected", "infusion")},
    **{w: ("route", "topical") for w in ("topical", "cream", "ointment", "skin")},
    **{w: ("form", "er") for w in ("extended-release", "er", "xr", "sustained-release", "modified-release")},
    **{w: ("form", "liquid") for w in ("liquid", "syrup", "suspension", "solution")},
    **{w: ("severity", w) for w in ("mild", "moderate", "severe")},
    **{w: ("organ", "kidney") for w in ("kidney", "renal", "egfr", "dialysis")},
    **{w: ("organ", "liver") for w in ("liver", "hepatic")},
    **{w: ("party", w.rstrip("s")) for w in ("landlord", "tenant", "licensor", "licensee", "buyer", "seller",
                                              "customer", "supplier", "vendor", "employee", "employer",
                                              "contractor", "distributor", "franchisee", "franchisor")},
    **{w: ("event", "terminate") for w in ("terminate", "termination", "terminated", "cancel", "cancellation")},
    **{w: ("event", "renew") for w in ("renew", "renewal", "renewed", "extend", "extension")},
    **{w: ("event", "pay") for w in ("pay", "payment", "payable", "paid", "invoice", "invoices")},
    **{w: ("event", "cure") for w in ("cure", "remedy")},
}
_DEFAULTS = {"who": "adult"}
_WORD = re.compile(r"[a-z][a-z\-]*")
_SELF_REFERENCE = re.compile(r"\b(?:this|the\s+present)\s+(?:agreement|contract|lease|licen[cs]e|amendment|addendum|"
                             r"policy|plan|schedule|exhibit|deed|note)\b|\bhere(?:of|in|under|to|by|inafter|with)\b",
                             re.I)
# Question words that name the slot, not the subject (what each source must also mention).
_SLOT_WORDS = frozenset(content_words(
    "dose dosage doses usual usually typical starting start recommended recommend amount much long often many "
    "people affected affect take taken use used day daily notice period required require need common how "
    "treatment treat value level safe allowed permitted date effective expire expiration time percentage "
    "percent rate risk chance likely number frequency interval when what which whether there include"))
# Which kinds of value a question asks for; a yes/no question asks for polarity.
_ASKS = (
    (re.compile(r"\b(?:dose|dosage|doses|how\s+much|amount|strength|mg|milligrams?|quantity)\b", re.I),
     ("mass", "volume", "units", "frequency")),
    (re.compile(r"\b(?:how\s+often|frequency|times\s+a|interval|schedule|dose|dosage)\b", re.I), ("frequency",)),
    (re.compile(r"\b(?:how\s+long|duration|period|notice|term|within|deadline|days|weeks|months|years|when)\b",
                re.I), ("duration", "business days")),
    (re.compile(r"\b(?:when|date|dated|effective|expire|expiration|deadline|until|since)\b", re.I), ("date",)),
    (re.compile(r"\b(?:percent(?:age)?|%|rate|how\s+common|how\s+many|prevalence|incidence|proportion|chance|risk|"
                r"likely|cutoff|cut-off|threshold|level)\b", re.I), ("percent", "mmol/l", "mg/dl", "pressure")),
    (re.compile(r"\b(?:cost|price|fee|fees|pay|paid|payable|cap|liability|\$)\b", re.I), ("money",)),
)
_YES_NO = re.compile(r"^\s*(?:is|are|can|could|should|may|must|does|do|will|shall|has|have|was|were)\b", re.I)


@dataclass(frozen=True)
class Statement:
    hit: int  # index into the hits given to `find`
    sentence: str
    values: tuple[Value, ...]
    relevance: float  # cosine with the question


@dataclass(frozen=True)
class Conflict:
    first: Statement
    second: Statement
    dimension: str
    asked: bool  # the question asks for this kind of value: declared without generating

    def summary(self, statement: Statement) -> str:
        """What `statement` gives on the disputed dimension ("5,000 mg, once daily")."""
        dims = {self.dimension} | ({"frequency"} if self.dimension in ("mass", "volume", "units") else set())
        shown = [v.text for v in statement.values if v.dimension in dims and not v.condition]
        return ", ".join(dict.fromkeys(shown)) or "the opposite"


class ConflictFinder:
    def __init__(self, embedder, min_question_similarity: float = 0.5, min_pair_similarity: float = 0.7,
                 max_passages: int = MAX_PASSAGES) -> None:
        self.embedder = embedder
        self.min_question_similarity = min_question_similarity
        self.min_pair_similarity = min_pair_similarity
        self.max_passages = max_passages

    def find(self, question: str, hits: Sequence[Hit]) -> Conflict | None:
        """The disagreement closest to the question among the top passages, or None."""
        hits = list(hits)[: self.max_passages]
        candidates = [(i, s, values) for i, h in enumerate(hits) for s in split_sentences(h.chunk.text)
                      if (values := tuple(extract(s))) and any(not v.condition for v in values)]
        if len({hits[i].chunk.doc_id for i, _, _ in candidates}) < 2:
            return None  # one document: nothing to disagree with (and nothing to encode)
        vecs = self.embedder.encode([question] + [s for _, s, _ in candidates])
        sims = vecs[1:] @ vecs[0]
        keep = [k for k in range(len(candidates)) if sims[k] >= self.min_question_similarity]
        statements = {k: Statement(candidates[k][0], candidates[k][1], candidates[k][2], float(sims[k])) for k in keep}
        subject = set(content_words(question)) - _SLOT_WORDS
        asks, wanted = asked_dimensions(question), _qualifiers(question)
        best: tuple[float, Conflict] | None = None
        for x, a in enumerate(keep):
            for b in keep[x + 1:]:
                sa, sb = statements[a], statements[b]
                if not self._comparable(sa, sb, hits, subject, float(vecs[1 + a] @ vecs[1 + b])):
                    continue
                # "the maximum dose" is not answered by two starting doses, however much they differ
                named = _qualifiers(sa.sentence)
                if any(named.get(c, v) != v for c, v in wanted.items()):
                    continue
                dimension = _disputed(sa.values, sb.values)
                if dimension is None:
                    continue
                if dimension.startswith("yes/no") and not _same_words(sa.sentence, sb.sentence):
                    continue
                asked = dimension in asks or (dimension.startswith("yes/no") and "yes/no" in asks)
                first, second = (sa, sb) if sa.hit <= sb.hit else (sb, sa)
                score = sa.relevance + sb.relevance + (1.0 if asked else 0.0)
                if best is None or score > best[0]:
                    best = (score, Conflict(first, second, dimension, asked))
        return best[1] if best else None

    def _comparable(self, a: Statement, b: Statement, hits: Sequence[Hit], subject: set[str], cosine: float) -> bool:
        ca, cb = hits[a.hit].chunk, hits[b.hit].chunk
        if ca.doc_id == cb.doc_id or cosine < self.min_pair_similarity:
            return False
        if _SELF_REFERENCE.search(a.sentence) or _SELF_REFERENCE.search(b.sentence):
            return False
        if _qualifiers(a.sentence) != _qualifiers(b.sentence) or _conditions(a.values) != _conditions(b.values):
            return False
        # The subject words of the question each source names, in the sentence or its title/section
        named_a = subject & set(content_words(" ".join((a.sentence, ca.title, ca.locator.label()))))
        named_b = subject & set(content_words(" ".join((b.sentence, cb.title, cb.locator.label()))))
        return named_a == named_b and (bool(named_a) or not subject)


def asked_dimensions(question: str) -> set[str]:
    out = {d for pattern, dims in _ASKS if pattern.search(question) for d in dims}
    return out | ({"yes/no"} if _YES_NO.match(question) else set())


def _disputed(a: Sequence[Value], b: Sequence[Value]) -> str | None:
    """A dimension both state where no value of one overlaps a value of the other (yes/no first)."""
    dims_a = {v.dimension for v in a if not v.condition}
    shared = sorted(dims_a & {v.dimension for v in b if not v.condition}, key=lambda d: not d.startswith("yes/no"))
    for dim in shared:
        va = [v for v in a if v.dimension == dim and not v.condition]
        vb = [v for v in b if v.dimension == dim and not v.condition]
        if not any(x.overlaps(y) for x in va for y in vb):
            return dim
    return None


def _conditions(values: Sequence[Value]) -> set[tuple[str, float, float]]:
    return {(v.dimension, v.low, v.high) for v in values if v.condition}


def _qualifiers(sentence: str) -> dict[str, frozenset[str]]:
    found: dict[str, set[str]] = {}
    for word in _WORD.findall(sentence.lower()):
        if word in _QUALIFIERS:
            category, value = _QUALIFIERS[word]
            found.setdefault(category, set()).add(value)
    return {c: frozenset(v) for c, v in found.items() if v != {_DEFAULTS.get(c)}}


def _same_words(a: str, b: str) -> bool:
    """Yes/no pairs: the sentences share most content words besides the negation ("must not be used
    when eGFR is below 30" against "can be used when eGFR is below 30"), not merely a topic."""
    wa, wb = set(content_words(a)), set(content_words(b))
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.5


def takes_a_side(sentences: Sequence[SentenceCheck], conflict: Conflict) -> bool:
    """A shown sentence states a value on the disputed dimension: the answer picked one source's value."""
    return any(v.dimension == conflict.dimension and not v.condition
               for s in sentences if s.verdict in SHOWN_VERDICTS for v in extract(s.text))


def disagreement(conflict: Conflict, hits: Sequence[Hit]) -> CheckResult:
    """Both statements, verbatim and attributed, each cited to its passage: every sentence shown is true
    to its source ("One says: …") and none asserts either value."""
    a, b = conflict.first, conflict.second
    lead = f"The sources disagree on this ({conflict.summary(a)} against {conflict.summary(b)}). One says:"
    sentences = [SentenceCheck(f"{lead} “{_quote(a.sentence)}”", (1,), 1.0, VERDICT_SUPPORTED, NOTE, (a.sentence,)),
                 SentenceCheck(f"Another says: “{_quote(b.sentence)}”", (2,), 1.0, VERDICT_SUPPORTED, NOTE, (b.sentence,))]
    citations = [Citation(1, hits[a.hit].chunk), Citation(2, hits[b.hit].chunk)]
    text = " ".join(f"{s.text} [{s.citations[0]}]" for s in sentences)
    metrics = {"citation_recall": 1.0, "citation_precision": 1.0, "sources_disagree": 1.0}
    return CheckResult(text, citations, sentences, False, CONFIDENCE, metrics)


def _quote(sentence: str) -> str:
    return " ".join(re.sub(r"^\s*(?:[-*•]\s+|#+\s+)", "", sentence).split())
