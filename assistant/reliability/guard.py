"""Output guard: the last step before an answer is shown.

- PHI/PII in the answer text is masked with the same rule-based detector that redacts documents at
  ingest (`assistant/redaction.py`), so a name, phone number or MRN the generator copied from an
  unredacted passage, or echoed from the question, is not shown unless `[reliability] mask_pii = false`.
  It runs after verification: the verifier compares the generator's words with the passages, and
  masking first would make a faithful sentence look unsupported.
- A domain notice ("Not medical advice ...") goes into `Answer.notice`, never into `Answer.text`,
  so the cited text stays exactly what was verified and a client can style the notice apart.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Sequence

from ..redaction import RedactionConfig, Redactor
from ..settings import ReliabilityConfig
from ..types import Answer, Hit


class OutputGuard:
    def __init__(self, config: ReliabilityConfig | None = None) -> None:
        self.config = config or ReliabilityConfig()
        self.redactor = Redactor(RedactionConfig(enabled=self.config.mask_pii))

    def apply(self, answer: Answer, hits: Sequence[Hit] = ()) -> Answer:
        """A copy of `answer` with PII masked in its text and sentences and the notice set. The notice
        follows the domains of the cited passages, or of `hits` (what the generator saw) when nothing
        is cited."""
        text = self.mask(answer.text)
        sentences = [replace(s, text=self.mask(s.text)) for s in answer.sentences]
        domains = [c.chunk.domain for c in answer.citations] or [h.chunk.domain for h in hits]
        return replace(answer, text=text, sentences=sentences, notice=self.notice(domains))

    def mask(self, text: str) -> str:
        return self.redactor.redact(text).text if self.redactor.enabled else text

    def notice(self, domains: Sequence[str]) -> str:
        """The notices of the domains, each once, in order of first appearance; "" when none is set."""
        seen: list[str] = []
        for domain in dict.fromkeys(d for d in domains if d):
            note = self.config.notices.get(domain, "").strip()
            if note and note not in seen:
                seen.append(note)
        return " ".join(seen)
