"""Per-answer checks: split into sentences, map `[n]` to passages, verify each against every passage,
then per sentence: keep it (its citation supports it), repair it (re-cite it to the passage that does,
or replace it by that passage's own sentence when they say nearly the same), or remove/flag it; fall
back to a verbatim quote when nothing survives, else abstain. ALCE citation recall and precision are
measured twice: on the generator's own citations and on the answer shown.

The scorer is the calibrated `Verifier` in the pipeline; any object with `score_matrix(claims,
passages, question)` (items with `.score` and `.evidence`), `embedder` and optionally `threshold` works,
e.g. the uncalibrated `SupportScorer`."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from assistant.core.settings import ReliabilityConfig
from assistant.core.text import CITATION, content_words, display_sentence, split_sentences, stem
from assistant.core.types import (
    BACKED_VERDICTS,
    SHOWN_VERDICTS,
    VERDICT_REMOVED,
    VERDICT_REPAIRED,
    VERDICT_SUPPORTED,
    VERDICT_UNSUPPORTED,
    Chunk,
    Citation,
    Hit,
    SentenceCheck,
)
from assistant.reliability.answer_type import asked_value, carries
from assistant.reliability.citations import citation_scores
from assistant.reliability.coverage import (
    OPENING_CHARS,
    off_clause,
    off_subject,
    opening_retrieved,
    quoted,
    topic_texts,
    unsourced_terms,
)

NOT_FOUND = "Not found in the knowledge base."
# Said instead of NOT_FOUND only when the KB holds no document at all (whoever asks): a new user's typo'd
# --kb or an ingest that read nothing should not look like a question without an answer.
EMPTY_KB = ("The knowledge base is empty: nothing has been ingested into it yet. Add documents with "
            "`assistant ingest PATH --kb DIR`, the page's Knowledge base tab, or POST /v1/documents, then ask again.")
DEFAULT_THRESHOLD = 0.55  # for a scorer without a calibrated threshold of its own (SupportScorer)
# A leading decision ("Yes: …", "No: …") is the generator's verdict, which no verifier judges: a wrong one
# ("Yes: amoxicillin does not work against viral infections") would be shown with the sentence's badge,
# so only the sentence is kept.
_PREAMBLE = re.compile(r"^(?:(?:the )?answer(?: is)?\s*:\s*|according to (?:the )?sources?(?: \[\d+\])?,\s*|"
                       r"(?:yes|no|maybe)\s*[:,]\s*)", re.I)
# A markdown heading copied out of a passage ("Amoxicillin: # Amoxicillin *Demo Document*"): supported
# verbatim, so the verifier would pass it, but it answers nothing. "# of shares" (lowercase) is not one.
_HEADING = re.compile(r"(?:^|[\s:])#{1,6}\s+[A-Z]")
# Link text copied out of a web page ("Learn more about the signs and symptoms of urinary tract infections
# in adults"): it names the question's subject, so it is close to the question and true to its passage,
# and it answers nothing.
_NAVIGATION = re.compile(r"^\W*(?:(?:to )?(?:learn|read|find out) more\b|for more (?:information|details)\b|"
                         r"(?:click|visit|see also|go to)\b)", re.I)
_LEADING_MARKERS = re.compile(r"\s*(?:\[\d+(?:\s*,\s*\d+)*\]\s*)+")
_REFUSAL = re.compile(r"\b(not (?:found |mentioned |stated |given |provided )?in the (?:sources|context|text)|"
                      r"(?:sources|context) (?:do|does) not)\b", re.I)


@dataclass
class CheckResult:
    text: str
    citations: list[Citation]
    sentences: list[SentenceCheck]
    abstained: bool
    confidence: float
    metrics: dict[str, float] = field(default_factory=dict)


class AnswerChecker:
    def __init__(self, scorer, config: ReliabilityConfig | None = None) -> None:
        self.scorer = scorer
        self.config = config or ReliabilityConfig()

    @property
    def threshold(self) -> float:
        return self.config.support_threshold or float(getattr(self.scorer, "threshold", DEFAULT_THRESHOLD))

    def check(self, question: str, raw: str, hits: Sequence[Hit], openings: Mapping[str, str] | None = None) -> CheckResult:
        """`openings`: document id → its opening text (title, parties, what it is about), which the
        subject check reads besides the passage: a contract names "Bluebird" in its preamble and
        "the Processor" in the clause that answers."""
        claims = _claims(raw, len(hits), question)
        # text, hit indexes, support, verdict, note, evidence (per hit index, the backing passage sentence)
        checked: list[tuple[str, tuple[int, ...], float, str, str, tuple[str, ...]]] = []
        # A generator that refused or wrote nothing checkable supported nothing the user is shown: its
        # citation recall is 0 for this answer, not undefined (which would leave refusals out of the mean).
        metrics: dict[str, float] = {"generator_citation_recall": 0.0, "generator_citation_precision": 0.0}
        if claims:
            passages = [h.chunk.text for h in hits]
            matrix = self.scorer.score_matrix([c for c, _ in claims], passages, question)
            threshold = self.threshold
            # A passage the verifier passes backs a claim only when it also names what the claim names;
            # one that does not scores as unsupporting, for the generator's citation metrics too.
            opening = [(openings or {}).get(h.chunk.doc_id, "") for h in hits]
            unsourced = [{j: self._unsourced(claim, v.evidence, hits[j], opening[j])
                          for j, v in enumerate(row) if v.score >= threshold}
                         for (claim, _), row in zip(claims, matrix)]
            scores = [[0.0 if names.get(j) else v.score for j, v in enumerate(row)]
                      for row, names in zip(matrix, unsourced)]
            own = citation_scores([c for _, c in claims], scores, threshold)
            metrics = {"generator_citation_recall": round(own.recall, 3),
                       "generator_citation_precision": round(own.precision, 3)}
            checked = [self._judge(claim, cited, row_scores, [v.evidence for v in row], question, threshold, hits,
                                   names)
                       for (claim, cited), row_scores, row, names in zip(claims, scores, matrix, unsourced)]
            checked = [self._on_subject(c, question, hits, openings or {}) for c in checked]
        shown = [c for c in checked if c[3] in SHOWN_VERDICTS]
        if not any(c[3] in BACKED_VERDICTS for c in shown) and self.config.quote_fallback:
            quote = self._quote(question, hits, openings=openings)
            if quote:
                checked = [c if c[3] == VERDICT_REMOVED else _removed(c) for c in checked] + [quote]
        if not any(c[3] in BACKED_VERDICTS for c in checked):
            return CheckResult(NOT_FOUND, [], [], True, 0.0, metrics)
        return _assemble(checked, hits, metrics, self.threshold)

    def quote_answer(self, question: str, hits: Sequence[Hit],
                     openings: Mapping[str, str] | None = None) -> CheckResult | None:
        """A verbatim source sentence as the whole answer, when one is close to the question and the
        verifier passes it as its answer; None otherwise. The relevance gate's second chance (pipeline):
        a follow-up or an oddly worded question can score under the gate while its closest passage
        plainly holds the answer."""
        if not self.config.quote_fallback or not hits:
            return None
        quote = self._quote(question, hits, self.config.gated_quote_min_similarity, openings)
        return _assemble([quote], hits, {}, self.threshold) if quote else None

    def _judge(self, claim: str, cited: tuple[int, ...], scores: list[float], evidence: list[str],
               question: str, thr: float, hits: Sequence[Hit], unsourced: Mapping[int, list[str]]) -> tuple:
        """`scores`: the verifier's, 0 where the passage does not name what the claim names (`unsourced`:
        passage index → those names, for the passages the verifier passed)."""
        good = tuple(i for i in cited if scores[i] >= thr)
        if good:
            return claim, good, max(scores[i] for i in good), VERDICT_SUPPORTED, "", tuple(evidence[i] for i in good)
        best = int(np.argmax(scores))
        if scores[best] >= thr:
            note = "citation corrected by verifier" if cited else "citation added by verifier"
            return claim, (best,), scores[best], VERDICT_REPAIRED, note, (evidence[best],)
        support = max((scores[i] for i in cited), default=scores[best])
        unnamed = next((unsourced[i] for i in cited if unsourced.get(i)), None) or next(
            (names for names in unsourced.values() if names), None)
        reason = f"its source does not name {quoted(unnamed)}" if unnamed else "no source supports this sentence"
        if self.config.unsupported == "flag":
            return claim, cited, support, VERDICT_UNSUPPORTED, reason, ()
        if self.config.unsupported == "repair":
            replaced = self._replacement(claim, scores, evidence, question, [h.chunk.text for h in hits])
            if replaced:
                return replaced
        return claim, (), support, VERDICT_REMOVED, f"removed: {reason}", ()

    def _unsourced(self, claim: str, evidence: str, hit: Hit, opening: str = "") -> list[str]:
        """The claim's names (coverage.unsourced_terms) that what backs it does not give: its evidence
        sentence, the passage's title and heading, its document's opening (a contract names "Bluebird"
        there and "the Processor" in the clause) and the passage sentences the claim copies (a list the
        generator copied whole spans several of the passage's sentences; the verifier aligns it with
        one)."""
        if self.config.claim_terms_max_zipf <= 0:
            return []
        words = set(content_words(claim))
        copied = [s for s in split_sentences(hit.chunk.text)
                  if len(own := set(content_words(s))) >= 2 and len(own & words) >= COPIED_SHARE * len(own)]
        texts = [t for t in (evidence, hit.chunk.title, hit.chunk.locator.section, opening[:OPENING_CHARS], *copied)
                 if t]
        return unsourced_terms(claim, texts, self.config.claim_terms_max_zipf)

    def _on_subject(self, c: tuple, question: str, hits: Sequence[Hit], openings: Mapping[str, str]) -> tuple:
        """A backed sentence is removed when what its passages are about (title, heading, opening, the
        backing sentence: coverage.topic_texts) misses most of the question's subject terms (true to a
        passage about hemophilia, it does not answer a question about hemorrhoids), or when it is not
        from the clause or document opening the question asks for and that was retrieved
        (coverage.off_clause)."""
        if c[3] not in BACKED_VERDICTS:
            return c
        texts = [t for i, backing in zip(c[1], c[5]) for t in topic_texts(hits[i], backing, openings)]
        missing = off_subject(question, texts, self.config.subject_max_zipf, claim=c[0])
        if missing:
            return c[0], (), c[2], VERDICT_REMOVED, f"removed: its source does not mention {quoted(missing)}", ()
        clause = off_clause(question, [hits[i] for i in c[1]], c[0], hits) if self.config.clause_topics else ""
        if clause:
            return c[0], (), c[2], VERDICT_REMOVED, f"removed: not from {clause}, which the question asks about", ()
        return c

    def _replacement(self, claim: str, scores: list[float], evidence: list[str], question: str,
                     passages: Sequence[str]) -> tuple | None:
        """The best-aligned source sentence in place of the claim, when the two say nearly the same (a
        copied-wrong number or a slipped word), the source sentence says more than the question, and
        the same verifier passes it as the answer to the question (a true sentence that answers
        something else is not a repair)."""
        best = int(np.argmax(scores))
        quote = display_sentence(evidence[best] or "")
        if not quote or len(content_words(quote)) < 3 or set(content_words(quote)) <= set(content_words(question)):
            return None
        a, b = self.scorer.embedder.encode([claim, quote])
        if float(a @ b) < self.config.replace_min_similarity:
            return None
        support = self.scorer.score_matrix([quote], [passages[best]], question)[0][0].score
        if support < self.threshold:
            return None
        return quote, (best,), support, VERDICT_REPAIRED, "replaced by the cited passage's own words", (quote,)

    def _quote(self, question: str, hits: Sequence[Hit], min_similarity: float | None = None,
               openings: Mapping[str, str] | None = None) -> tuple | None:
        """The source sentence closest to the question, verbatim, when it is close enough (cosine at
        least `min_similarity`, default quote_min_similarity) and the verifier passes it as the answer to
        the question; the next closest ones are tried after it."""
        zipf = self.config.subject_max_zipf
        # A question asking how quickly / how much / how many is answered only by a sentence stating one.
        kind = asked_value(question)
        candidates = [(i, s) for i, h in enumerate(hits) for s in split_sentences(h.chunk.text)
                      if not s.lstrip().startswith(("#", "*")) and len(content_words(s)) >= 4
                      and not _NAVIGATION.match(s) and carries(s, kind)
                      and not off_subject(question, topic_texts(h, s, openings), zipf, claim=s)
                      and not (self.config.clause_topics and off_clause(question, [h], s, hits))]
        if not candidates:
            return None
        vecs = self.scorer.embedder.encode([question] + [s for _, s in candidates])
        sims = vecs[1:] @ vecs[0]
        # Prefer sentences from the passages retrieval ranked highest, not just any similar sentence, and
        # those naming more of the question's own words: MiniLM puts "some other guidelines, including
        # several outside the United States, use 140/90" a hair above "under the 2017 American ...
        # guideline, hypertension is defined as a reading of 130/80" for "above what reading ... under
        # the American guideline?" (cosine 0.673 against 0.663).
        asked = {stem(w) for w in content_words(question)}
        shared = np.array([len(asked & {stem(w) for w in content_words(s)}) / max(1, len(asked))
                           for _, s in candidates])
        ranked = sims + 0.5 * np.array([hits[i].relevance for i, _ in candidates]) + QUOTE_WORDS_WEIGHT * shared
        floor = self.config.quote_min_similarity if min_similarity is None else min_similarity
        if self.config.clause_topics and opening_retrieved(question, hits):
            # Only the document opening's sentences are candidates (off_clause), and "This Agreement is made
            # by and between Acme and Beta" sits at cosine 0.3-0.4 to "who are the parties?". Not for clause
            # topics: there the lower floor let a clause's true non-answers through ("a Security Incident
            # notice must describe …" for "how quickly must they tell us?").
            floor = min(floor, OPENING_QUOTE_MIN_SIMILARITY)
        elif kind:
            # Every candidate states the kind of value asked for, which says more than wording: "no later
            # than 72 hours after becoming aware" sits at cosine 0.29 to "how quickly must they tell us?".
            floor = min(floor, TYPED_QUOTE_MIN_SIMILARITY)
        order = [k for k in np.argsort(-ranked)[:QUOTE_CANDIDATES] if sims[k] >= floor]
        if not order:
            return None
        texts = [display_sentence(candidates[k][1]) for k in order]
        matrix = self.scorer.score_matrix(texts, [h.chunk.text for h in hits], question)
        for k, text, row in zip(order, texts, matrix):
            i, sentence = candidates[k]
            if row[i].score >= self.threshold:
                return text, (i,), row[i].score, VERDICT_SUPPORTED, "quoted from source", (sentence,)
        return None


COPIED_SHARE = 0.6  # a passage sentence with this share of its content words in a claim is copied by it
QUOTE_WORDS_WEIGHT = 0.2  # the share of the question's words a quote candidate names, in its ranking
QUOTE_CANDIDATES = 3  # source sentences the quote fallback verifies, closest to the question first
OPENING_QUOTE_MIN_SIMILARITY = 0.25  # the quote's floor for parties / title / date questions, in the opening
TYPED_QUOTE_MIN_SIMILARITY = 0.25  # ... and for how quickly / much / many questions, among sentences stating one


def _claims(raw: str, n_hits: int, question: str) -> list[tuple[str, tuple[int, ...]]]:
    """(sentence without markers, 0-based cited hit indexes). Drops questions, restatements of the
    question that add nothing, refusals, copied headings and a trailing fragment cut off by the token
    limit."""
    asked = set(content_words(question))
    sentences = split_sentences(raw.strip())
    if len(sentences) > 1 and not re.search(r"[.!?][\"'”’)\]]*$", CITATION.sub("", sentences[-1]).strip()):
        sentences = sentences[:-1]
    # Markers opening a sentence ("… 9.4. [1] The term …") cite the sentence before them: a generator
    # that closed the sentence first, or the decoder's marker after a number's full stop.
    for i in range(1, len(sentences)):
        lead = _LEADING_MARKERS.match(sentences[i])
        if lead and sentences[i - 1].strip():
            sentences[i - 1] = sentences[i - 1].rstrip() + " " + lead.group(0).strip()
            sentences[i] = sentences[i][lead.end():]
    out = []
    for sentence in sentences:
        cited = tuple(dict.fromkeys(int(n) - 1 for m in CITATION.finditer(sentence)
                                    for n in m.group(1).split(",") if 1 <= int(n) <= n_hits))
        text = display_sentence(CITATION.sub(" ", sentence))
        stripped = _PREAMBLE.sub("", text)
        text = stripped[:1].upper() + stripped[1:] if stripped != text else text
        text = re.sub(r"\s+([.,;:!?])", r"\1", text)
        words = content_words(text)
        if not words or text.endswith("?") or _REFUSAL.search(text) or _HEADING.search(text) or set(words) <= asked \
                or _NAVIGATION.match(text):
            continue
        out.append((text, cited))
    return out


def _removed(c: tuple) -> tuple:
    return c[0], (), c[2], VERDICT_REMOVED, "removed: replaced by a quote from the sources", ()


def _assemble(checked: list[tuple], hits: Sequence[Hit], metrics: dict[str, float], threshold: float) -> CheckResult:
    """Number citations by first use, so the answer reads [1], [2], … in order; one number per chunk."""
    number: dict[str, int] = {}  # chunk id → its number: one number per chunk, even if two hits hold it
    chunks: dict[str, Chunk] = {}  # chunk id → the chunk, in the order the numbers were given
    sentences, parts = [], []
    for text, cited, support, verdict, note, evidence in checked:
        backed = verdict in BACKED_VERDICTS
        by_chunk: dict[str, str] = {}  # this sentence's cited chunks, each once, with the sentence backing it
        for i, backing in zip(cited, evidence) if backed else ():
            chunks.setdefault(hits[i].chunk.id, hits[i].chunk)
            by_chunk.setdefault(hits[i].chunk.id, backing)
        ns = tuple(number.setdefault(cid, len(number) + 1) for cid in by_chunk)
        sentences.append(SentenceCheck(text=text, citations=ns, support=round(float(support), 3), verdict=verdict,
                                       note=note, evidence=tuple(by_chunk.values())))
        if verdict in SHOWN_VERDICTS:
            parts.append(with_markers(text, ns))
    citations = [Citation(n=number[cid], chunk=chunk) for cid, chunk in chunks.items()]
    # Every claim the generator made counts: a removed one lowers the confidence in what is left.
    confidence = sum(min(1.0, s.support) for s in sentences if s.verdict in BACKED_VERDICTS) / len(sentences)
    shown = [s for s in sentences if s.verdict in SHOWN_VERDICTS]
    # Shown sentences are kept only with a supporting citation, so these are 1.0 unless flagged ones show.
    supported = sum(s.verdict in BACKED_VERDICTS for s in shown)
    metrics = {**metrics, "citation_recall": round(supported / len(shown), 3) if shown else 0.0,
               "citation_precision": 1.0 if supported else 0.0}
    return CheckResult(" ".join(parts), citations, sentences, False, round(confidence, 3), metrics)


def with_markers(text: str, ns: tuple[int, ...]) -> str:
    """"… kidney disease [1]." — markers go before the closing punctuation."""
    if not ns:
        return text
    markers = "".join(f" [{n}]" for n in ns)
    m = re.search(r"[.!?;:]+[\"'”’)]*$", text)
    return text[: m.start()] + markers + text[m.start():] if m else text + markers
