"""Query cleanup and focus for messy consumer questions.

Real questions arrive as e-mails and web-form posts: "Re: NDC# 0115-0672-50 Hello, I was wondering
if this drug is gluten free? Thanks, Mary Smith". The greeting, the sign-off, the contact details and
the product number say nothing about the topic, and they drag a sentence embedding away from it.
`clean_query` gives the dense retriever the question as a plain sentence; `focus_terms` gives BM25 the
content words, plus identifier codes (a drug label or contract may quote the exact code, and BM25 is
the only retriever that can match it).

`title_focus` is the query-focus step: when the question names a candidate document's title ("What
are the symptoms of Age-related Macular Degeneration?"), the title is the topic and the rest is what
is asked about it ("What are the symptoms"). Passages of one topic all share its title, so a second
look with only the rest is what tells its symptoms section from its treatment section; `aspect_terms`
adds the words such passages use ("How to diagnose" is answered with "tests", "exam", "screening").

`asks_about_document` spots questions about a document's identity (its name, parties, dates), which
its opening passage answers without sharing their words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from assistant.core.text import STOPWORDS

# "Re:", "Fwd:", "Subject:" prefixes stacked by mail clients.
_MAIL_PREFIX = re.compile(r"^\s*(?:(?:re|fw|fwd|aw|subject|subj|question)\s*:\s*)+", re.I)
_GREETING_WORD = r"(?:hi|hello|hey|hiya|greetings|dear|good\s+(?:morning|afternoon|evening|day))"
# A greeting with a short addressee ("Dear Dr. Smith,", "Hi there!"): up to 4 words before punctuation.
_GREETING = re.compile(rf"^\s*{_GREETING_WORD}\b(?:\s+[\w.']+){{0,4}}?\s*[,!:;\-]+\s*", re.I)
_BARE_GREETING = re.compile(rf"^\s*{_GREETING_WORD}\b[\s,!.]*", re.I)
_SIGN_OFFS = (r"many\s+thanks|thank\s+you(?:\s+(?:so|very)\s+much)?|thanks(?:\s+(?:a\s+lot|so\s+much|in\s+advance))?"
              r"|thx|regards|kind\s+regards|best\s+regards|warm\s+regards|best\s+wishes|sincerely|cheers"
              r"|respectfully|yours\s+truly|sent\s+from\s+my")
# A sign-off after a sentence end, and the short signature after it (name, title): no question may
# follow it, so "Thanks to the vaccine, is ... ?" stays.
_SIGN_OFF = re.compile(rf"(?:^|(?<=[.!?,;:]))\s*(?:{_SIGN_OFFS})\b[^?]{{0,80}}$", re.I)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_PHONE = re.compile(r"(?:\+?\d{1,2}[\s.-]?)?(?:\(\d{3}\)|\b\d{3})[\s.-]\d{3}[\s.-]\d{4}\b")
# Labelled identifiers: "NDC# 0115-0672-50", "Lot No. A1234", "order number: 55-1234", "MRN 00123".
# Common words ("order", "case") count as a label only with a marker (#, No., number, :) after them.
_ID_VALUE = r"(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9\-./]*"
_LABELLED_ID = re.compile(
    r"\b(?:(?:ndc|mrn|upc|sku|lot|rx|po|invoice|acct)\s*(?:#|no\.?|num(?:ber)?\.?|:)?"
    r"|(?:order|ref|reference|case|ticket|claim|policy|member|account|serial|tracking|patient\s+id|id)"
    r"\s*(?:#|no\.|num(?:ber)?\.?|:))"
    rf"\s*[:#]?\s*{_ID_VALUE}", re.I)
# Bare product codes: digit groups joined by two or more hyphens (NDC 4-4-2, 5-3-2, dates), or an
# upper-case prefix with a long number ("ZX-4471-B", "NCT01234567"). "COVID-19", "BRCA1", "HbA1c" stay.
_CODE = re.compile(r"\b(?:\d{3,6}(?:-\d{1,6}){2,3}|[A-Z]{1,4}-?\d{3,}(?:-[A-Z0-9]+)*)\b")
# Template artefacts of form-generated questions, e.g. MedQuAD's "What is (are) X ?".
_ALTERNATIVE = re.compile(r"\s*\((?:are|is|s|es)\)", re.I)
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([?.!,;:])")

# Words that frame a question without saying what it is about; BM25 would reward passages that
# happen to repeat them ("information", "question", "help").
QUESTION_FILLER = frozenset("""
question questions wondering wonder wondered know knowing tell telling please pls plz thanks thank
thx hi hello hey dear sir madam anyone someone somebody anybody help advice advise appreciate appreciated
advance kindly asking ask asked answer answers regarding concerning info information like want wanted
need needs get getting find finding looking look curious clarify clarification explain
""".split())

# Words every clause of every contract shares; in a legal question they only say "in this contract".
LEGAL_FILLER = frozenset("""
clause clauses contract contracts agreement agreements party parties counterparty counterparties
provision provisions whether include includes including term terms
""".split())

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")


@dataclass(frozen=True)
class FocusedQuery:
    """What each retriever should be given: `dense` a sentence, `sparse` space-separated terms."""

    original: str
    dense: str
    sparse: str


def clean_query(text: str) -> str:
    """The question as a plain sentence: mail prefixes, greeting, sign-off and signature, contact
    details and identifiers removed; template artefacts tidied. Falls back to the input (whitespace-
    collapsed) when cleanup would leave nothing, so a query that *is* a code still searches for it."""
    original = " ".join((text or "").split())
    cleaned = _MAIL_PREFIX.sub("", original)
    cleaned = _strip_greeting(cleaned)
    cleaned = _URL.sub(" ", cleaned)
    cleaned = _EMAIL.sub(" ", cleaned)
    cleaned = _PHONE.sub(" ", cleaned)
    cleaned = _strip_sign_off(cleaned)
    cleaned = _LABELLED_ID.sub(" ", cleaned)
    cleaned = _CODE.sub(" ", cleaned)
    cleaned = _ALTERNATIVE.sub("", cleaned)
    cleaned = _MAIL_PREFIX.sub("", cleaned)  # "NDC# ...  Re: ..." leaves a second prefix behind
    cleaned = _strip_greeting(cleaned)
    cleaned = " ".join(cleaned.split())
    cleaned = _SPACE_BEFORE_PUNCT.sub(r"\1", cleaned).strip(" ,;:-")
    return cleaned if _TOKEN.search(cleaned) else original


def identifiers(text: str) -> list[str]:
    """Codes in the text (labelled or bare), as written: BM25 can match them exactly. Phone numbers,
    e-mail addresses and links are contact details, not codes, and are left out."""
    text = _PHONE.sub(" ", _EMAIL.sub(" ", _URL.sub(" ", text or "")))
    found = [m.group(0) for m in _CODE.finditer(text)]
    for m in _LABELLED_ID.finditer(text):
        code = re.split(r"[\s:#]+", m.group(0).strip())[-1]
        if code not in found:
            found.append(code)
    return found


def focus_terms(text: str, extra_filler: frozenset[str] = LEGAL_FILLER) -> list[str]:
    """Lower-cased content words of the cleaned question, each once, in order, then the tokens of
    any identifier codes. Stopwords, question framing and `extra_filler` are dropped; when that would
    drop everything, the cleaned words are kept instead (a one-word query is all focus)."""
    cleaned = clean_query(text)
    words = [w.lower().strip("'-") for w in _TOKEN.findall(cleaned)]
    words = [w for w in words if w]
    drop = STOPWORDS | QUESTION_FILLER | extra_filler
    terms = [w for w in words if w not in drop] or [w for w in words if w not in STOPWORDS] or words
    for code in identifiers(text):
        # Single digits and two-digit package counts ("-50") match too much to help.
        terms.extend(t.lower() for t in re.findall(r"[A-Za-z0-9]+", code) if len(t) >= 3)
    return list(dict.fromkeys(terms))


def focus_query(text: str) -> FocusedQuery:
    """The dense sentence and the sparse term string for one raw question."""
    return FocusedQuery(original=text, dense=clean_query(text), sparse=" ".join(focus_terms(text)))


def _strip_greeting(text: str) -> str:
    m = _GREETING.match(text)
    if m and _TOKEN.search(text[m.end():]):
        return text[m.end():]
    m = _BARE_GREETING.match(text)
    if m and _TOKEN.search(text[m.end():]):
        return text[m.end():]
    return text


def _strip_sign_off(text: str) -> str:
    m = _SIGN_OFF.search(text)
    # Only trailing sign-offs: "Thank you for explaining X?" stays, since a question follows.
    if m and _TOKEN.search(text[:m.start()]):
        return text[:m.start()]
    return text


# Questions about a document's identity: its name, who signed it, when it was made or takes effect.
# Contracts, policies and letters answer these in their opening lines (title, preamble, "dated as of"),
# which rarely repeat the question's words ("name", "parties", "date") and match nothing else well.
_DOC = r"(?:contract|agreement|document|policy|letter|memo(?:randum)?|amendment|lease|deed|report)"
_ABOUT_DOCUMENT = re.compile(
    rf"\b(?:name|title)\s+of\s+(?:the|this)\s+{_DOC}"
    rf"|\bwhat\s+is\s+(?:the|this)\s+{_DOC}\s+(?:called|named|titled)"
    rf"|\bpart(?:y|ies)\b[^?.]{{0,40}}\b(?:signed|sign|signing|entered|enter|to\s+(?:the|this)\s+{_DOC})"
    rf"|\bwho\s+(?:signed|entered\s+into|are\s+the\s+part(?:y|ies))"
    rf"|\bdate\s+of\s+(?:the|this)\s+{_DOC}"
    rf"|\b(?:effective|execution|signature|commencement)\s+date"
    rf"|\bdate\b[^?.]{{0,40}}\b(?:effective|signed|executed|entered\s+into|dated|takes?\s+effect)"
    rf"|\bwhen\b[^?.]{{0,40}}\b(?:signed|executed|entered\s+into|dated|(?:become|becomes|is)\s+effective"
    rf"|take\s+effect|takes\s+effect)", re.I)


def asks_about_document(question: str) -> bool:
    """Whether the question asks for the document's own name, parties or signing / effective date."""
    return bool(_ABOUT_DOCUMENT.search(question or ""))


_WORDS = re.compile(r"\w+")
# Left dangling at the end of a question once its topic is cut out: "What are the symptoms of ?".
_DANGLING = re.compile(r"(?:\b(?:of|for|to|by|with|about|in|on|from|the|a|an|and|or)\b|[^\w)]|\s)+$", re.I)


@dataclass(frozen=True)
class TitleFocus:
    """The candidate titles the question names (normalised, see `title_key`), the question with them
    cut out, and that remainder's content words. `intent` empty: the question asks nothing beyond its
    topic ("What is X?"), so there is no second look to take."""

    titles: frozenset[str]
    residual: str
    intent: tuple[str, ...]

    @property
    def intent_text(self) -> str:
        """The remainder to embed, with the words passages answering its aspect tend to use."""
        return " ".join([self.residual, *aspect_terms(self.residual)])


def title_key(title: str) -> str:
    """A title compared by its words only: case, punctuation and spacing do not matter."""
    return " ".join(_WORDS.findall(title.lower()))


def title_focus(question: str, titles: Iterable[str]) -> TitleFocus:
    """Which of `titles` (those of the retrieved candidates) the question names, longest first and
    without overlaps, matched on whole words. A title with no content word ("The", "1") never matches:
    it names nothing."""
    words = _WORDS.findall(question.lower())
    spans: list[tuple[int, int]] = []
    named: set[str] = set()
    for key in sorted({title_key(t) for t in titles if title_key(t)}, key=lambda t: (-len(t.split()), t)):
        target = key.split()
        if not any(w not in STOPWORDS and not w.isdigit() for w in target):
            continue
        for at in range(len(words) - len(target) + 1):
            if words[at:at + len(target)] == target and all(e <= at or s >= at + len(target) for s, e in spans):
                spans.append((at, at + len(target)))
                named.add(key)
                break
    if not named:
        return TitleFocus(frozenset(), question, ())
    residual = question
    for key in sorted(named, key=len, reverse=True):
        pattern = r"\W+".join(re.escape(w) for w in key.split())
        residual = re.sub(rf"(?<!\w){pattern}(?!\w)", " ", residual, count=1, flags=re.I)
    residual = _DANGLING.sub("", " ".join(residual.split()))
    drop = STOPWORDS | QUESTION_FILLER
    intent = tuple(dict.fromkeys(w for w in _WORDS.findall(residual.lower()) if w not in drop))
    if intent:
        intent = tuple(dict.fromkeys([*intent, *aspect_terms(residual)]))
    return TitleFocus(frozenset(named), residual, intent)


# What consumer health questions ask about a topic, and the words passages answering it use instead
# ("How to diagnose X?" is answered by "tests", "exam", "screening"; "outlook" by "prognosis").
_ASPECTS = [(re.compile(pattern, re.I), words.split()) for pattern, words in (
    (r"\bdiagnos|\btest(?:s|ed|ing)?\b|\bdetect|\bexam", "diagnosis diagnosed tests exam screening"),
    (r"\btreat|\btherap|\bcure", "treatment treated therapy medicines surgery"),
    (r"\bprevent|\bavoid", "prevent prevention reduce risk avoid"),
    (r"\bsymptom|\bsigns?\b", "symptoms signs"),
    (r"\bcaus", "causes caused cause"),
    (r"\boutlook|\bprognos", "outlook prognosis survival"),
    (r"\bresearch|\bclinical\s+trials?", "research clinical trials studies"),
    (r"\bat\s+risk|\bsusceptib|\bwho\s+gets", "risk factors likely"),
    (r"\bcomplication", "complications problems"),
    (r"\binherit|\bgenetic|\bgenes?\b", "inherited genes gene mutation"),
)]


def aspect_terms(text: str) -> list[str]:
    """Words a passage answering the aspect `text` asks about tends to use."""
    return [w for pattern, words in _ASPECTS if pattern.search(text) for w in words]
