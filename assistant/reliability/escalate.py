"""Escalation (off by default): the small model answers first; a low-confidence answer, or one where
nothing survived verification, is asked again of a larger model on an OpenAI-compatible server, with
the same question and the same passages, and checked by the same `AnswerChecker`. The better-verified
of the two answers is kept.

An abstention because retrieval found nothing relevant is not escalated: the larger model would see
the same empty evidence, and the honest answer is still "not found". The larger model is reached
through `OpenAICompatibleGenerator`, so it gets exactly the prompt the local generator gets."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Mapping, Sequence

from assistant.core.settings import GeneratorConfig, ReliabilityConfig
from assistant.core.types import Hit
from assistant.generation.remote_generator import (
    OpenAICompatibleGenerator,
    RemoteGeneratorError,
)
from assistant.reliability.checks import AnswerChecker, CheckResult

log = logging.getLogger(__name__)


@dataclass
class Escalation:
    result: CheckResult  # the kept result: the escalated one when it verified better
    used: bool  # the escalation model's answer was kept
    model: str  # the escalation model's name
    error: str = ""  # why the escalation model could not answer ("" when it did)


def better(candidate: CheckResult, current: CheckResult) -> bool:
    """An answer beats an abstention; between two answers, higher verified confidence wins (a tie
    keeps the local one, which cost nothing)."""
    if candidate.abstained != current.abstained:
        return current.abstained
    return not candidate.abstained and candidate.confidence > current.confidence


class Escalator:
    def __init__(self, config: ReliabilityConfig, generator: GeneratorConfig | None = None) -> None:
        """`generator`: the local generator's settings, for the prompt limits (passage length, answer tokens)."""
        local = generator or GeneratorConfig()
        self.config = config
        self.generator = OpenAICompatibleGenerator(GeneratorConfig(
            backend="openai", base_url=config.escalate_base_url, remote_model=config.escalate_model,
            api_key_env=config.escalate_api_key_env, timeout_s=config.escalate_timeout_s,
            max_new_tokens=local.max_new_tokens, max_source_chars=local.max_source_chars,
            repetition_penalty=local.repetition_penalty))

    @property
    def model(self) -> str:
        return self.config.escalate_model

    def wanted(self, result: CheckResult) -> bool:
        """Abstained for lack of support, or answered with confidence under `escalate_below`."""
        return result.abstained or result.confidence < self.config.escalate_below

    def escalate(self, question: str, hits: Sequence[Hit], checker: AnswerChecker,
                 current: CheckResult, openings: Mapping[str, str] | None = None) -> Escalation:
        """Never raises for an unreachable or failing server: the local answer stands, and the error is
        logged and returned, since a verified local answer is still worth showing."""
        try:
            raw = self.generator.generate(question, hits)
        except RemoteGeneratorError as e:
            log.warning("escalation to %s failed, keeping the local answer: %s", self.model, e)
            return Escalation(current, False, self.model, str(e))
        candidate = checker.check(question, raw, hits, openings)
        return Escalation(candidate, True, self.model) if better(candidate, current) else \
            Escalation(current, False, self.model)
