"""Output guard: the last step before an answer is shown.

- PHI/PII in the answer text is masked with the same rule-based detector that redacts documents at
  ingest (`assistant/ingest/redaction.py`), so a name, phone number or MRN the generator copied from an
  unredacted passage, or echoed from the question, is not shown unless `[reliability] mask_pii = false`.
  The detector needs context for names ("Patient: Jane Doe", "Dr. Roe"), which an answer sentence
  often drops ("Jane Doe was discharged ..."), so every identifier it finds in the passages the
  generator saw is also masked wherever it reappears verbatim in the answer.
  It runs after verification: the verifier compares the generator's words with the passages, and
  masking first would make a faithful sentence look unsupported.
- A domain notice ("Not medical advice ...") goes into `Answer.notice`, never into `Answer.text`,
  so the cited text stays exactly what was verified and a client can style the notice apart.
"""

from __future__ import annotations

import re
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
        follows the domains of the cited passages, or of `hits` (what the generator saw) when nothing
        is cited."""
        known = self._identifiers([h.chunk.text for h in hits] + [c.chunk.text for c in answer.citations])
        text = self.mask(answer.text, known)
        sentences = [replace(s, text=self.mask(s.text, known)) for s in answer.sentences]
        domains = [c.chunk.domain for c in answer.citations] or [h.chunk.domain for h in hits]
        return replace(answer, text=text, sentences=sentences, notice=self.notice(domains))

    def mask(self, text: str, known: dict[str, str] | None = None) -> str:
        """`known`: identifier → type, found in the passages; masked wherever it appears as whole words."""
        if not self.redactor.enabled:
            return text
        for value, kind in sorted((known or {}).items(), key=lambda kv: -len(kv[0])):  # longest first
            text = re.sub(rf"(?<!\w){re.escape(value)}(?!\w)", placeholder(kind), text)
        return self.redactor.redact(text).text

    def _identifiers(self, passages: Sequence[str]) -> dict[str, str]:
        if not self.redactor.enabled:
            return {}
        found: dict[str, str] = {}
        for passage in dict.fromkeys(passages):
            for start, end, kind in self.redactor.redact(passage).spans:
                value = passage[start:end].strip()
                if len(value) >= 4:  # a lone initial or short code would mask ordinary words
                    found.setdefault(value, kind)
        return found

    def notice(self, domains: Sequence[str]) -> str:
        """The notices of the domains, each once, in order of first appearance; "" when none is set."""
        seen: list[str] = []
        for domain in dict.fromkeys(d for d in domains if d):
            note = self.config.notices.get(domain, "").strip()
            if note and note not in seen:
                seen.append(note)
        return " ".join(seen)
