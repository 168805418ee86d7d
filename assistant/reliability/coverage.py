"""Is the question's subject in the sources at all, is the answer drawn from the clause it asks for, and
does a sentence name only what its source names?

A small generator handed four passages about hemophilia and asked about hemorrhoids writes a true
sentence about hemophilia; the verifier, which asks "does the passage say this?", passes it, and the user
reads a treatment for the wrong disease. The retrieval gate (a dense-cosine floor) cannot tell either: in
a medical KB every medical question is close to some passage.

The question's *subject terms* are its uncommon words: those rarer in general English than `max_zipf`
on the Zipf scale of wordfreq (its frequency lists are built from Wikipedia, film subtitles, news,
Google Books, web text, Twitter and Reddit; "hemorrhoids" 2.6, "endometrial" 2.6, "amoxicillin" 2.3
against "treatments" 4.1, "symptoms" 4.5, "law" 5.5). Frame words and chit-chat ("please", "worried",
"what are the symptoms of") are common, so they never count. A term is covered when a word of the texts
shares its stem or a long common prefix ("diagnose" by "diagnosis", a typo'd "amoxicilin" by
"amoxicillin", never "hemorrhoids" by "hemophilia") or a capitalised run spells it ("NDA"). Texts that
miss more than half the terms, each weighed by its rarity, are off subject (`off_subject`): the pipeline
abstains before drafting when the context is, and the answer checker removes a sentence whose passage is
(`topic_texts`: what the passage is about, not everything it mentions). `off_clause` does the same for
contract questions whose clause (retrieval/clause_topics.py) was retrieved. `unsourced_terms` applies the
same rarity to a sentence's own words: a drug or disease name its evidence does not give is not backed
by it."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

from assistant.core.text import CITATION, STOPWORDS, split_sentences, stem
from assistant.core.types import Hit
from assistant.retrieval.clause_topics import clause_topic
from assistant.retrieval.query import asks_about_document

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
MIN_PREFIX = 5  # shortest shared prefix that counts as the same word ("diagnos", "expir")
PREFIX_SHARE = 0.7  # ... and at least this share of the shorter word
MAX_ACRONYM = 6
OPENING_CHARS = 300  # how much of a document's or passage's opening names what it is about
_CONNECTORS = {"of", "and", "for", "the", "&"}
_CAPITALISED = re.compile(r"[A-Z][\w']*(?:[\s-]+(?:(?:of|and|for|the|&)[\s-]+)?[A-Z][\w']*)+")


@lru_cache(maxsize=1)
def _zipf():
    try:
        from wordfreq import zipf_frequency
    except ImportError as exc:  # a declared dependency; say how to get it rather than fail obscurely
        raise ImportError("the subject-coverage check needs wordfreq (a dependency of the project): "
                          "pip install wordfreq, or set [reliability] subject_max_zipf = 0 to turn it off") from exc
    return zipf_frequency


def _words(text: str) -> list[str]:
    out = []
    for match in _WORD.finditer(CITATION.sub(" ", text)):
        for part in re.split(r"[-–]", match.group(0).lower()):
            part = re.sub(r"['’]s?$", "", part)
            if len(part) >= 3:
                out.append(part)
    return out


def subject_terms(question: str, max_zipf: float) -> list[str]:
    """The question's words rarer than `max_zipf` in general English, first occurrence order. None for a
    question not in English (every foreign word would look rare), and none of the words that name a
    recognised contract clause ("renewing", "governs"): that clause is found by its heading's synonyms
    (retrieval/clause_topics.py), and an "extended for successive one-year periods" clause answers a
    renewal question without the word."""
    return list(_subject_terms(question, max_zipf))


# Cached per question: the answer checker asks for every sentence and every quote candidate.
@lru_cache(maxsize=256)
def _subject_terms(question: str, max_zipf: float) -> tuple[str, ...]:
    words = _words(question)
    if not words or not _in_english(question, words, _zipf()):
        return ()
    return _rare(words, max_zipf, clause_words(question))


def _rare(words: Sequence[str], max_zipf: float, exclude: frozenset[str] = frozenset()) -> tuple[str, ...]:
    """The distinct words rarer than `max_zipf` in general English, in first-occurrence order, stopwords
    and `exclude` aside: a question's subject terms and a claim's names are both these."""
    zipf = _zipf()
    return tuple(w for w in dict.fromkeys(words)
                 if w not in STOPWORDS and w not in exclude and zipf(w, "en") < max_zipf)


@lru_cache(maxsize=256)
def clause_words(question: str) -> frozenset[str]:
    """The words naming the contract clause a question asks for ("renewing", "invoices"), if any."""
    topic = clause_topic(question)
    return frozenset(w for m in topic.question.finditer(question) for w in _words(_whole_words(question, m))) \
        if topic else frozenset()


def _in_english(question: str, words: list[str], zipf) -> bool:
    """A question has English function words ("what", "how to", "can I"), or, when it is a bare term or
    two, every word is known in English. Other languages read as "not English" and are left unchecked
    rather than wrongly refused."""
    tokens = re.findall(r"\w+", question.lower())
    return any(t in STOPWORDS for t in tokens) or all(zipf(w, "en") > 0 for w in words)


def _whole_words(text: str, match: re.Match) -> str:
    """The match widened to whole words: r"\bgovern" matched in "governs" frames "governs"."""
    start, end = match.start(), match.end()
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    while end < len(text) and text[end].isalnum():
        end += 1
    return text[start:end]


def _covered(term: str, words: set[str], stems: set[str], initials: str) -> bool:
    if term in words or stem(term) in stems:
        return True
    if len(term) <= MAX_ACRONYM and term in initials:  # "NDA": a Mutual Non-Disclosure Agreement
        return True
    for word in words:
        shortest = min(len(term), len(word))
        need = math.ceil(max(MIN_PREFIX, PREFIX_SHARE * shortest))
        if shortest >= need and term[:need] == word[:need]:
            return True
    return False


def missing_subject(question: str, texts: Iterable[str], max_zipf: float) -> list[str]:
    """The question's subject terms that no text mentions (empty: the subject is there, or the check
    is off with max_zipf <= 0)."""
    if max_zipf <= 0:
        return []
    return _uncovered(subject_terms(question, max_zipf), texts)


def unsourced_terms(claim: str, texts: Iterable[str], max_zipf: float) -> list[str]:
    """The claim's uncommon words (rarer than `max_zipf`: drug, disease, party and place names) that none
    of the texts backing it names. The verifier reads a sentence's relation to its evidence and passed
    "Lysergic acid diketride (LID) is the usual therapy for Loiasis" against a passage naming
    diethylcarbamazine, and "an abnormal immune response may cause hemochromatosis" against "... may
    cause sarcoidosis": a name its evidence does not give is not backed by it. Empty when the check is
    off (max_zipf <= 0) or the claim is not English (every word would look rare)."""
    if max_zipf <= 0:
        return []
    words = _words(claim)
    if not words or not _in_english(claim, words, _zipf()):
        return []
    return _uncovered(_rare(words, max_zipf), texts)


def _uncovered(terms: Sequence[str], texts: Iterable[str]) -> list[str]:
    if not terms:
        return []
    texts = list(texts)
    words = {w for text in texts for w in _words(text)}
    stems = {stem(w) for w in words}
    # Each run of capitalised words as its initials: "Food and Drug Administration" → "fda".
    initials = " ".join("".join(w[0] for w in re.split(r"[\s-]+", run) if w not in _CONNECTORS).lower()
                        for text in texts for run in _CAPITALISED.findall(text))
    return [t for t in terms if not _covered(t, words, stems, initials)]


def hit_texts(hits: Sequence[Hit]) -> list[str]:
    """Everything the hits say: their texts and their documents' titles (is the subject anywhere?)."""
    return [t for h in hits for t in (h.chunk.text, h.chunk.title) if t]


def topic_texts(hit: Hit, evidence: str = "", openings: Mapping[str, str] | None = None) -> list[str]:
    """What a passage's document is about, for one sentence drawn from the passage: the document's
    title and opening (`openings`: document id → its first passage), the section heading, the passage's
    first sentence and the passage sentence that backs the sentence. Not the rest of the passage (a
    cardiomyopathy passage listing causes opens on hemochromatosis and names sarcoidosis further down;
    its hemochromatosis sentence does not answer "who is at risk for sarcoidosis?"), nor the
    document's other passages: a list of pituitary disorders that names acromegaly in passing does not
    make its sentence about Cushing's syndrome an answer about acromegaly, and the "American guideline"
    named in a hypertension leaflet's Definitions does not make its "When to Seek Care" crisis threshold
    the guideline's definition of high blood pressure."""
    chunk = hit.chunk
    opening = (openings or {}).get(chunk.doc_id, "")
    first = next(iter(split_sentences(chunk.text[:OPENING_CHARS])), "")
    return [t for t in (chunk.title, opening[:OPENING_CHARS], chunk.locator.section or "", first, evidence) if t]


def off_subject(question: str, texts: Iterable[str], max_zipf: float, claim: str = "") -> list[str]:
    """The missing subject terms when texts miss more than half of them, each weighed by its rarity
    (`max_zipf` + 1 − its Zipf frequency), else []. A passage about "pulmonary fibrosis" still answers
    "idiopathic pulmonary fibrosis" (0.42 of the weight missing); one naming a "kidney" and "tumors" does
    not answer "Wilms tumor and other childhood kidney tumors" (0.56: "wilms" is the rarest and says
    most), nor one about "parasites" a question about "parasites - loiasis" (0.77). A `claim` (the
    sentence drawn from the texts) that names the contract clause the question asks for is on subject:
    "Invoices are payable within 45 days" answers the invoice half of "what about invoices and
    metformin?"."""
    if claim and max_zipf > 0:
        frame = {stem(w) for w in clause_words(question)}
        if frame & {stem(w) for w in _words(claim)}:
            return []
    missing = missing_subject(question, texts, max_zipf)
    if not missing:
        return []
    weight = {t: max_zipf + 1.0 - _zipf()(t, "en") for t in subject_terms(question, max_zipf)}
    if 2 * sum(weight[t] for t in missing) > sum(weight.values()):
        return missing
    return []


def quoted(terms: Sequence[str]) -> str:
    return ", ".join(f"“{t}”" for t in terms)


def off_clause(question: str, cited: Sequence[Hit], sentence: str, retrieved: Sequence[Hit]) -> str:
    """What a question asks to be answered from, when some retrieved passage is it but the sentence's
    cited passages are not and the sentence does not word it either: "the Governing Law clause" for a
    contract-clause question (retrieval/clause_topics.py), "the document's opening" for a question about
    its parties, title or date (retrieval/query.asks_about_document: the preamble names them). "" when
    the sentence is on it, the question names none, or no passage is it. The verifier passes "the
    remaining provisions shall remain in full force" as true to its severability clause; it is not the
    answer to "what law governs this agreement?" when the governing-law clause is right there, and "each
    party shall act as an independent contractor" does not say who the parties are."""
    if asks_about_document(question):
        if opening_retrieved(question, retrieved) and not any(h.chunk.start == 0 for h in cited):
            return "the document's opening (its title, parties and date)"
        return ""
    topic = clause_topic(question)
    if topic is None or not any(topic.matches(h.chunk) for h in retrieved):
        return ""
    if any(topic.matches(h.chunk) for h in cited) or topic.worded_in(sentence):
        return ""
    return f"the {topic.name} clause"


def opening_retrieved(question: str, retrieved: Sequence[Hit]) -> bool:
    """Whether the question asks for a document's parties, title or date and a document's opening
    passage is among the retrieved ones (so `off_clause` keeps only answers drawn from it)."""
    return asks_about_document(question) and any(h.chunk.start == 0 for h in retrieved)
