"""The answering pipeline: retrieve → screen for injected instructions → (abstain | sources disagree |
generate → check → escalate if configured → sources disagree?) → withhold what rests on flagged
passages → output guard → audit → Answer."""

from __future__ import annotations

import copy
import time
from collections import Counter
from pathlib import Path
from typing import Callable

from assistant.core.errors import AssistantError
from assistant.core.text import check_question
from assistant.core.types import (
    ABSTAIN_EMPTY_KB,
    ABSTAIN_NO_PASSAGE,
    ABSTAIN_OFF_SUBJECT,
    ABSTAIN_UNVERIFIED,
    BASE,
    SHOWN_VERDICTS,
    Answer,
    Generator,
    Hit,
    QuarantinedHit,
    SearchFilter,
)
from assistant.generation.factory import make_generator
from assistant.generation.focus import focus
from assistant.ingest.kb import KnowledgeBase
from assistant.reliability import AnswerChecker
from assistant.reliability.audit import DEFAULT_NAME, AuditLog
from assistant.reliability.checks import EMPTY_KB, NOT_FOUND
from assistant.reliability.coverage import hit_texts, off_subject, quoted
from assistant.reliability.conflicts import (
    Conflict,
    ConflictFinder,
    disagreement,
    takes_a_side,
)
from assistant.reliability.consistency import SelfConsistency
from assistant.reliability.escalate import Escalator
from assistant.reliability.flagged import withhold_flagged
from assistant.reliability.guard import OutputGuard
from assistant.reliability.injection_model import screen_hits
from assistant.reliability.verifier import Verifier
from assistant.retrieval.retriever import HybridRetriever

# `ask(on_event=...)` is told each stage as it starts, and each piece of the generator's text as it is
# produced (the text is unchecked until EVENT_CHECKING is over: show it as a draft, never as the answer).
EVENT_GENERATING, EVENT_TEXT, EVENT_CHECKING = "generating", "text", "checking"
Listener = Callable[[str, str], None]


class Assistant:
    """Cheap to construct; `warm_up()` loads the models (otherwise the first question does)."""

    def __init__(self, kb: KnowledgeBase, generator: Generator | None = None) -> None:
        self.kb = kb
        self.settings = kb.settings
        self.retriever = HybridRetriever(kb, self.settings.retrieval)
        if generator is not None and not isinstance(generator, Generator):
            raise TypeError(f"generator: expected a subclass of assistant.core.types.Generator (it declares every "
                            f"optional capability with a default), found {type(generator).__name__}")
        self.generator = generator or make_generator(self.settings.generator)
        config = self.settings.reliability
        # The calibrated verifier (assistant/reliability/calibration.json) scores every sentence.
        self.checker = AnswerChecker(Verifier(self.settings, embedder=kb.embedder), config)
        self.guard = OutputGuard(config)
        self.escalator = Escalator(config, self.settings.generator) if config.escalate else None
        self.audit = _audit_log(kb.path, config)
        self.conflicts = ConflictFinder(kb.embedder)
        self.consistency = (SelfConsistency(self.generator, kb.embedder, config.self_consistency,
                                            max_source_chars=self.settings.generator.max_source_chars)
                            if config.self_consistency else None)

    def warm_up(self, report: Callable[[str], None] | None = None) -> None:
        """Loads every model once; `report` (e.g. print) is told each step, so a first start that takes
        a minute says what it is doing."""
        steps = [("embedding model", self.kb.embedder.warm_up), ("knowledge base", self._open_kb),
                 ("verifier", self.checker.scorer.warm_up), (f"generator ({self.generator.display_name()})",
                                                             self.generator.warm_up)]
        for n, (what, load) in enumerate(steps, start=1):
            started = time.perf_counter()
            if report:
                report(f"loading models {n}/{len(steps)}: {what} …")
            load()
            if report:
                report(f"loading models {n}/{len(steps)}: {what} ready in {time.perf_counter() - started:.1f} s")

    def _open_kb(self) -> None:
        self.kb.check_dimension()
        self.kb.reconcile(save=False)

    def for_kb(self, kb: KnowledgeBase) -> "Assistant":
        """An assistant over another knowledge base sharing this one's models (generator, verifier,
        reranker), so one process can serve several KBs without loading the models again. Its audit log
        is the other KB's own."""
        other = copy.copy(self)
        other.kb = kb
        other.retriever = HybridRetriever(kb, self.settings.retrieval)
        other.retriever.reranker = self.retriever.reranker
        other.audit = _audit_log(kb.path, self.settings.reliability)
        return other

    def search(self, query: str, k: int | None = None, filters: SearchFilter | None = None) -> list[Hit]:
        return self.retriever.search(check_question(query), k, filters)

    def adapter_choices(self) -> list[str]:
        """Adapter names a request may name besides "auto" and "base" (empty: the generator has one model)."""
        return self.generator.adapter_choices()

    def ask(self, question: str, filters: SearchFilter | None = None, adapter: str | None = None,
            user: str | None = None, on_event: Listener | None = None) -> Answer:
        """`filters` (metadata, and the caller's ACL groups) restrict the passages retrieved, so a
        passage the caller may not see never reaches the generator, the citations or `closest`.
        `adapter`: a loaded adapter's name, "auto" (by the domain of the hits) or "base"; None = the
        configured default. `user`: who asked, for the audit log. `on_event(kind, text)`: see EVENT_*."""
        question = check_question(question)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        retrieved = self.retriever.search(question, filters=filters)
        timings["retrieve"] = time.perf_counter() - started
        hits, quarantined = self._screen(retrieved)
        context = self.context(hits)
        # Each context document's opening, read once: the subject check below and the answer checker use it.
        openings = self._openings(context) if context else {}
        if not retrieved and self._kb_is_empty():
            answer = Answer(question, EMPTY_KB, [], [], True, 0.0, timings=timings, abstain_reason=ABSTAIN_EMPTY_KB)
        elif context is None:
            answer = (self._gated_quote(question, hits, timings, quarantined)
                      or Answer(question, NOT_FOUND, [], [], True, 0.0, closest=hits, timings=timings,
                                quarantined=quarantined, abstain_reason=ABSTAIN_NO_PASSAGE))
        elif missing := off_subject(question, hit_texts(context) + list(openings.values()),
                                    self.settings.reliability.subject_max_zipf):
            # The passages near the question do not name most of its subject: nothing to draft from.
            answer = Answer(question, f"{NOT_FOUND[:-1]}: no source mentions {quoted(missing)}.", [], [], True, 0.0,
                            closest=hits, timings=timings, quarantined=quarantined, abstain_reason=ABSTAIN_OFF_SUBJECT)
        else:
            hits = context
            t = time.perf_counter()
            conflict = self.conflicts.find(question, hits)
            timings["conflicts"] = time.perf_counter() - t
            if conflict is not None and conflict.asked:  # asked for the disputed value: no generator pick
                answer = _disagreement(question, conflict, hits, timings, quarantined)
            else:
                answer = self._answer(question, hits, openings, adapter, timings, quarantined, on_event)
                if conflict is not None and not answer.abstained and takes_a_side(answer.sentences, conflict):
                    answer = _disagreement(question, conflict, hits, timings, quarantined)
        # After every stage that could put text in the answer, before masking (which changes the words).
        answer = withhold_flagged(answer)
        answer = self.guard.apply(answer, hits)
        answer.timings["total"] = time.perf_counter() - started
        if self.audit is not None:
            answer.audit_id = self.audit.record(answer, retrieved, user)
        return answer

    def _gated_quote(self, question: str, hits: list[Hit], timings: dict[str, float],
                     quarantined: list[QuarantinedHit]) -> Answer | None:
        """Under the relevance gate no draft is written, but the closest passages may still hold the
        answer in one sentence: that sentence, verbatim, when it is close to the question and the
        verifier passes it as the answer (checks.quote_answer); None keeps the abstention. Only the
        passages near the best one are read, as for a draft."""
        if not hits:
            return None
        t = time.perf_counter()
        near = self._near_best(hits)
        result = self.checker.quote_answer(question, near, self._openings(near))
        timings["check"] = time.perf_counter() - t
        if result is None:
            return None
        return Answer(question, result.text, result.citations, result.sentences, False, result.confidence,
                      timings=timings, quarantined=quarantined,
                      checks={**result.metrics, "quoted_under_gate": 1.0})

    def _openings(self, hits: list[Hit]) -> dict[str, str]:
        """Document id → its first passage's text, for the hits' documents: the subject check reads it
        (a contract names its parties and its subject in the preamble, not in every clause)."""
        with self.kb.lock:
            catalog = self.kb.catalog
            first = catalog.chunks(list(catalog.opening_keys([h.chunk.doc_id for h in hits]).values()))
        return {c.doc_id: c.text for c in first.values()}

    def _kb_is_empty(self) -> bool:
        """True when the KB holds no document at all. Counted over every document, not the caller's: a
        KB whose documents are all hidden from the caller answers NOT_FOUND, revealing nothing."""
        with self.kb.lock:
            return self.kb.catalog.counts()[0] == 0

    def feedback(self, answer: Answer, rating: int, comment: str = "", user: str | None = None) -> int:
        """Stores thumbs up (1) / down (-1) / comment only (0) beside the answer's audit record."""
        if self.audit is None:
            raise AssistantError("feedback is stored in the audit log, which is off; set [reliability] audit = true")
        return self.audit.add_feedback(answer, rating, comment, user)

    def context(self, hits: list[Hit]) -> list[Hit] | None:
        """The screened hits the generator gets, or None when none is relevant enough (abstain)."""
        if max((h.relevance for h in hits), default=-1.0) < self._min_relevance(hits):
            return None
        return self._near_best(hits)

    def _near_best(self, hits: list[Hit]) -> list[Hit]:
        # A passage far less relevant than the best one mostly invites the small model to wander off.
        best = max((h.relevance for h in hits), default=0.0)
        return [h for h in hits if h.relevance >= best - self.settings.retrieval.context_margin]

    def _min_relevance(self, hits: list[Hit]) -> float:
        """The abstention gate of the domain most hits belong to (fitted per domain, see settings)."""
        domains = Counter(h.chunk.domain for h in hits if h.chunk.domain)
        config = self.settings.retrieval
        return config.for_domain(domains.most_common(1)[0][0]).min_relevance if domains else config.min_relevance

    def _screen(self, hits: list[Hit]) -> tuple[list[Hit], list[QuarantinedHit]]:
        # Phrase rules OR the learned screen; the learned one reuses the KB's embedder (loaded once).
        if not self.settings.reliability.injection_screening:
            return hits, []
        return screen_hits(hits, embedder=self.kb.embedder)

    def _answer(self, question: str, hits: list[Hit], openings: dict[str, str], adapter: str | None,
                timings: dict[str, float], quarantined: list[QuarantinedHit],
                on_event: Listener | None = None) -> Answer:
        t = time.perf_counter()
        if on_event is not None:
            on_event(EVENT_GENERATING, "")
        chosen, raw = self._generate(question, hits, adapter, on_event)
        timings["generate"] = time.perf_counter() - t
        if on_event is not None:
            on_event(EVENT_CHECKING, "")
        t = time.perf_counter()
        result = self.checker.check(question, raw, hits, openings)
        timings["check"] = time.perf_counter() - t
        model, escalated = self.generator.display_name(), False
        if self.escalator is not None and self.escalator.wanted(result):
            t = time.perf_counter()
            outcome = self.escalator.escalate(question, hits, self.checker, result, openings)
            timings["escalate"] = time.perf_counter() - t
            if outcome.used:
                result, model, chosen, escalated = outcome.result, outcome.model, None, True
        checks, confidence = dict(result.metrics), result.confidence
        if self.consistency is not None and not result.abstained and not escalated:
            t = time.perf_counter()
            shown = [s.text for s in result.sentences if s.verdict in SHOWN_VERDICTS]
            agreement = self.consistency.measure(question, hits, shown, adapter=chosen).agreement
            timings["consistency"] = time.perf_counter() - t
            checks["self_consistency"] = round(agreement, 3)
            confidence = round(confidence * agreement, 3)  # a guess the model cannot repeat is a weak answer
        return Answer(question, result.text, result.citations, result.sentences, result.abstained,
                      confidence, closest=hits if result.abstained else [], timings=timings,
                      adapter=chosen, quarantined=quarantined, escalated=escalated, model=model,
                      abstain_reason=ABSTAIN_UNVERIFIED if result.abstained else "", checks=checks)

    def _generate(self, question: str, hits: list[Hit], adapter: str | None,
                  on_event: Listener | None = None) -> tuple[str | None, str]:
        chosen = self.generator.resolve_adapter(adapter, hits)  # validates the request even with one model
        if self.settings.generator.focus:
            hits = focus(question, hits, self.kb.embedder.encode)
        name = None if chosen == BASE else chosen
        # a generator with one model takes generate(question, hits), as the Generator contract says
        kwargs = {"adapter": chosen} if self.adapter_choices() else {}
        if on_event is None:
            return name, self.generator.generate(question, hits, **kwargs)
        pieces = []
        for piece in self.generator.generate_stream(question, hits, **kwargs):
            pieces.append(piece)
            on_event(EVENT_TEXT, piece)
        return name, "".join(pieces).strip()


def _disagreement(question: str, conflict: Conflict, hits: list[Hit], timings: dict[str, float],
                  quarantined: list[QuarantinedHit]) -> Answer:
    """The sources-disagree answer (reliability/conflicts.py); no generator wrote it, so no model."""
    result = disagreement(conflict, hits)
    return Answer(question, result.text, result.citations, result.sentences, False, result.confidence,
                  timings=timings, quarantined=quarantined, checks=dict(result.metrics))


def _audit_log(kb_path: str | Path, config) -> AuditLog | None:
    return AuditLog(audit_path(kb_path, config.audit_path), config.audit_questions) if config.audit else None


def audit_path(kb_path: str | Path, configured: str = "") -> Path:
    """Where a KB's audit log lives: `[reliability] audit_path`, else audit.sqlite in the KB directory."""
    return Path(configured).expanduser() if configured else Path(kb_path) / DEFAULT_NAME
