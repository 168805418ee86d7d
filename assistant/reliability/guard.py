"""Output guard: the last step before an answer is shown.

- PHI/PII the generator produced is masked with the same rule-based detector that redacts documents
  at ingest (`assistant/ingest/redaction.py`): a name, phone number or MRN that is in none of the
  passages it saw (invented, or echoed from the question) is not shown unless `[reliability] mask_pii =
  false`. Text that *is* in those passages is shown as the passage has it: the KB was already redacted
  at ingest for whatever its policy covers (healthcare documents by default), so what a passage still
  holds (a contract's party "Alex Job Racing, Inc.", a public helpline, "named after Dr. Hashimoto")
  was kept on purpose, and masking it would make a quoted sentence differ from its cited source.
  It runs after verification: the verifier compares the generator's words with the passages, and
  masking first would make a faithful sentence look unsupported.
- The cited passages' domain notice ("Not medical advice ...") goes into `Answer.notice`, never into `Answer.text`,
  so the cited text stays exactly what was verified and a client can style the notice apart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from assistant.core.settings import ReliabilityConfig
from assistant.core.types import Answer, Hit
from assistant.ingest.redaction import RedactionConfig, Redactor, placeholder


class OutputGuard:
    def __init__(self, config: ReliabilityConfig | None = None) -> None:
        self.config = config or ReliabilityConfig()
        self.redactor = Redactor(RedactionConfig(enabled=self.config.mask_pii))

    def apply(self, answer: Answer, hits: Sequence[Hit] = ()) -> Answer:
        """A copy of `answer` with PII masked in its text and sentences and the notice set. The notice
        follows the domains of the cited passages only: a refusal cites nothing and advises nothing, so
        it carries no notice (an off-topic question used to get the legal and the medical one)."""
        shown = _flat_sources([h.chunk.text for h in hits] + [c.chunk.text for c in answer.citations])
        text = self._mask(answer.text, shown)
        sentences = [replace(s, text=self._mask(s.text, shown)) for s in answer.sentences]
        return replace(answer, text=text, sentences=sentences,
                       notice=self.notice([c.chunk.domain for c in answer.citations]))

    def _mask(self, text: str, shown: Sequence[str]) -> str:
        """`text` with every identifier the detector finds replaced by its placeholder, except the ones
        that appear verbatim in one of `shown` (the sources, whitespace collapsed once per answer)."""
        if not self.redactor.enabled:
            return text
        found = self.redactor.redact(text).spans
        if not found:
            return text
        parts, last = [], 0
        for start, end, kind in found:
            value = _flat(text[start:end])
            if value and any(value in source for source in shown):
                continue  # in the source as the answer has it: shown unchanged
            parts += [text[last:start], placeholder(kind)]
            last = end
        return "".join(parts) + text[last:]

    def notice(self, domains: Sequence[str]) -> str:
        """The notices of the domains, each once, in order of first appearance; "" when none is set."""
        seen: list[str] = []
        for domain in dict.fromkeys(d for d in domains if d):
            note = self.config.notices.get(domain, "").strip()
            if note and note not in seen:
                seen.append(note)
        return " ".join(seen)


def _flat(text: str) -> str:
    """Whitespace collapsed: a PDF passage breaks lines where the answer has spaces."""
    return " ".join(text.split())


def _flat_sources(sources: Sequence[str]) -> list[str]:
    return [_flat(s) for s in dict.fromkeys(sources)]
