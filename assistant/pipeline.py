"""The answering pipeline: retrieve → (abstain | generate) → check → Answer."""

from __future__ import annotations

import time

from .errors import AssistantError
from .generator import AUTO, BASE, make_generator
from .kb import KnowledgeBase
from .reliability import AnswerChecker, SupportScorer
from .reliability.checks import NOT_FOUND
from .retrieval import HybridRetriever
from .types import Answer, Generator, Hit, SearchFilter

MAX_QUESTION_CHARS = 4000


class Assistant:
    """Cheap to construct; `warm_up()` loads the models (otherwise the first question does)."""

    def __init__(self, kb: KnowledgeBase, generator: Generator | None = None) -> None:
        self.kb = kb
        self.settings = kb.settings
        self.retriever = HybridRetriever(kb, self.settings.retrieval)
        self.generator = generator or make_generator(self.settings.generator)
        self.checker = AnswerChecker(SupportScorer(kb.embedder), self.settings.reliability)

    def warm_up(self) -> None:
        self.kb.embedder.warm_up()
        self.kb.check_dimension()
        self.kb.reconcile(save=False)
        self.generator.warm_up()

    def search(self, query: str, k: int | None = None, filters: SearchFilter | None = None) -> list[Hit]:
        return self.retriever.search(_clean(query), k, filters)

    def adapter_choices(self) -> list[str]:
        """Adapter names a request may name besides "auto" and "base" (empty: the generator has one model)."""
        choices = getattr(self.generator, "adapter_choices", None)
        return choices() if choices else []

    def ask(self, question: str, filters: SearchFilter | None = None, adapter: str | None = None) -> Answer:
        """`filters` (metadata, and the caller's ACL groups) restrict the passages retrieved, so a
        passage the caller may not see never reaches the generator, the citations or `closest`.
        `adapter`: a loaded adapter's name, "auto" (by the domain of the hits) or "base"; None = the
        configured default."""
        question = _clean(question)
        timings: dict[str, float] = {}
        started = time.perf_counter()
        hits = self.retriever.search(question, filters=filters)
        timings["retrieve"] = time.perf_counter() - started
        best = max((h.relevance for h in hits), default=-1.0)
        if best < self.settings.retrieval.min_relevance:
            return Answer(question, NOT_FOUND, [], [], True, 0.0, closest=hits, timings=timings)
        # A passage far less relevant than the best one mostly invites the small model to wander off.
        hits = [h for h in hits if h.relevance >= best - self.settings.retrieval.context_margin]
        t = time.perf_counter()
        chosen, raw = self._generate(question, hits, adapter)
        timings["generate"] = time.perf_counter() - t
        t = time.perf_counter()
        result = self.checker.check(question, raw, hits)
        timings["check"] = time.perf_counter() - t
        timings["total"] = time.perf_counter() - started
        return Answer(question, result.text, result.citations, result.sentences, result.abstained,
                      result.confidence, closest=hits if result.abstained else [], timings=timings,
                      adapter=chosen)

    def _generate(self, question: str, hits: list[Hit], adapter: str | None) -> tuple[str | None, str]:
        resolve = getattr(self.generator, "resolve_adapter", None)
        if resolve is None:  # a user's own Generator without adapters
            if adapter not in (None, AUTO, BASE):
                raise AssistantError(f"adapter {adapter!r}: expected none, this generator "
                                     f"({type(self.generator).__name__}) has no adapters")
            return None, self.generator.generate(question, hits)
        chosen = resolve(adapter, hits)
        return (None if chosen == BASE else chosen), self.generator.generate(question, hits, adapter=chosen)


def _clean(question: str) -> str:
    question = " ".join((question or "").split())
    if not question:
        raise AssistantError("the question is empty; type a question")
    if len(question) > MAX_QUESTION_CHARS:
        raise AssistantError(f"the question is {len(question)} characters long, over the limit of "
                             f"{MAX_QUESTION_CHARS}; shorten it")
    return question
