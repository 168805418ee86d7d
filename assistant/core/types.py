"""The typed contracts between stages: connector → chunker → index → retriever → generator → checks → answer."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterator, Protocol, Sequence, runtime_checkable

VERDICT_SUPPORTED = "supported"
VERDICT_REPAIRED = "repaired"  # shown after the verifier re-cited it or replaced it by the source's words
VERDICT_UNSUPPORTED = "unsupported"  # shown flagged (reliability.unsupported = "flag")
VERDICT_REMOVED = "removed"  # kept in the record, not in the answer text
SHOWN_VERDICTS = (VERDICT_SUPPORTED, VERDICT_REPAIRED, VERDICT_UNSUPPORTED)
BACKED_VERDICTS = (VERDICT_SUPPORTED, VERDICT_REPAIRED)  # shown with a citation whose passage supports it
# Why an answer abstained: retrieval found nothing close enough (escalating cannot help), or nothing the
# generator wrote survived verification (a larger model might do better).
ABSTAIN_NO_PASSAGE = "no passage relevant enough"
ABSTAIN_UNVERIFIED = "nothing survived verification"
ABSTAIN_EMPTY_KB = "the knowledge base is empty"
ABSTAIN_OFF_SUBJECT = "no passage mentions the question's subject"


@dataclass(frozen=True)
class Document:
    """One source document as a connector read it. `id` is kept exactly as given (evaluations map on it)."""

    id: str
    text: str
    title: str = ""
    source: str = ""  # where it came from: a path, a table, a dataset name
    uri: str = ""
    domain: str = ""
    acl: tuple[str, ...] = ()  # groups allowed to see it; empty means everyone
    metadata: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise ValueError(f"Document.id must be a non-empty string, got {self.id!r}")
        check_id(self.id)


# Characters that make an id display as something else: C0/C1 controls (a newline splits a log line,
# ESC drives a terminal) and bidi overrides/isolates/marks ("invoice\u202efdp.exe" shows as
# "invoiceexe.pdf"). Ids are kept exactly as given, so they are refused, not rewritten.
_UNSAFE_ID = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def check_id(doc_id: str) -> None:
    """Raise ValueError when `doc_id` holds a control or bidi character (one rule for every source:
    file names, record ids, uploads)."""
    m = _UNSAFE_ID.search(doc_id)
    if m:
        ch = m.group()
        name = unicodedata.name(ch, "control character")
        raise ValueError(f"document id {doc_id!r} contains U+{ord(ch):04X} {name} at position {m.start()}; "
                         "expected printable characters only (control and bidi characters can disguise a "
                         "name); rename the file or fix the record's id")


@dataclass(frozen=True)
class Locator:
    """Where in its document a chunk sits, as precisely as the connector knew."""

    page: int | None = None
    section: str | None = None
    clause: str | None = None

    def label(self) -> str:
        parts = []
        if self.page is not None:
            parts.append(f"p. {self.page}")
        if self.clause:
            parts.append(f"§ {self.clause}")
        if self.section and self.section != self.clause:
            parts.append(self.section)
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in (("page", self.page), ("section", self.section), ("clause", self.clause)) if v is not None}

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> "Locator":
        data = data or {}
        return cls(page=data.get("page"), section=data.get("section"), clause=data.get("clause"))


@dataclass(frozen=True)
class Chunk:
    """A passage of a document; `start`/`end` are character offsets into `Document.text`."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    locator: Locator = Locator()
    title: str = ""
    domain: str = ""
    acl: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hit:
    """A chunk returned by retrieval. `score` orders hits; `relevance` is the calibrated-ish dense cosine."""

    chunk: Chunk
    score: float
    relevance: float = 0.0
    scores: dict[str, float] = field(default_factory=dict)  # per-retriever components, for inspection


@dataclass(frozen=True)
class SearchFilter:
    """Which chunks a search may return. Empty fields do not filter. `groups` are the caller's ACL
    groups: a document with an empty `acl` is visible to everyone, otherwise only to callers sharing
    one of its groups. `groups=None` means no ACL check (a trusted local caller); `groups=()` means an
    anonymous caller, who sees only documents without an ACL. Dates compare as ISO strings against
    the document's `metadata["date"]` (documents without a date are excluded by a date bound)."""

    domains: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()  # exact Document.source values, or prefixes ending in "/" or "*"
    doc_types: tuple[str, ...] = ()  # metadata["format"] or metadata["doc_type"]: "pdf", "contract", ...
    doc_ids: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None
    groups: tuple[str, ...] | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.domains or self.sources or self.doc_types or self.doc_ids or self.date_from
                    or self.date_to) and self.groups is None


@dataclass(frozen=True)
class Citation:
    """Answer marker `[n]` → the chunk it points at."""

    n: int
    chunk: Chunk


@dataclass(frozen=True)
class SentenceCheck:
    """One answer sentence with the citations it carries and how well they support it."""

    text: str
    citations: tuple[int, ...]
    support: float
    verdict: str  # VERDICT_SUPPORTED | VERDICT_REPAIRED | VERDICT_UNSUPPORTED | VERDICT_REMOVED
    note: str = ""  # e.g. "citation added by verifier", "quoted from source"
    # Per citation, the passage sentence the verifier found backing this one (what the page highlights);
    # empty unless the sentence is backed.
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuarantinedHit:
    """A retrieved passage withheld from the generator because it tries to instruct the model; the
    user still sees it, flagged, with the reasons."""

    hit: Hit
    reasons: tuple[str, ...]


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation]
    sentences: list[SentenceCheck]
    abstained: bool
    confidence: float
    closest: list[Hit] = field(default_factory=list)  # shown when abstaining
    timings: dict[str, float] = field(default_factory=dict)
    adapter: str | None = None  # the LoRA adapter that generated it (None: the base model, or no generation)
    quarantined: list[QuarantinedHit] = field(default_factory=list)  # flagged sources, never shown to the model
    notice: str = ""  # domain notice ("Not medical advice ..."), kept apart from the cited text
    abstain_reason: str = ""  # ABSTAIN_NO_PASSAGE | ABSTAIN_OFF_SUBJECT | ABSTAIN_UNVERIFIED | ABSTAIN_EMPTY_KB
    escalated: bool = False  # the answer shown came from the escalation model
    model: str = ""  # the generator that wrote the answer shown ("" when nothing was generated)
    # ALCE citation recall/precision of the shown answer and of the generator's own citations, and
    # self-consistency when measured
    checks: dict[str, float] = field(default_factory=dict)
    audit_id: int | None = None  # its record in the audit log, which feedback refers to

    def evidence_by_citation(self) -> dict[int, list[str]]:
        """Citation number → the passage sentences that back the shown sentences citing it (in order,
        each once), as the checker recorded them."""
        out: dict[int, list[str]] = {}
        for sentence in self.sentences:
            if sentence.verdict in BACKED_VERDICTS:
                for n, evidence in zip(sentence.citations, sentence.evidence):
                    if evidence and evidence not in out.setdefault(n, []):
                        out[n].append(evidence)
        return out


@runtime_checkable
class Connector(Protocol):
    """Reads a source and yields Documents, or SourceError for each input it could not read."""

    def iter_documents(self) -> Iterator[Document | Exception]: ...


@runtime_checkable
class Chunker(Protocol):
    def chunk(self, document: Document) -> list[Chunk]: ...


# Request-level adapter choices besides a name: the domain's adapter, or the plain base model.
AUTO = "auto"
BASE = "base"


class Generator:
    """Turns a question and its hits into answer text with `[n]` markers (n = 1-based hit position).

    Subclass it and write `generate`; every other capability has a working default here, so the
    pipeline, the page, self-consistency and the model server call them without probing for methods:
    a generator without adapters answers every request with its one model (`resolve_adapter` gives
    BASE and refuses a named adapter), `generate_stream` yields the whole text as one piece, and
    `can_sample` is False (self-consistency then refuses to start). `generate` receives `adapter=` only
    from a generator whose `adapter_choices()` is not empty."""

    name: str = ""  # shown as Answer.model; empty: the class name
    default_adapter: str | None = None  # the choice a request without one gets ("auto", "base", a name)
    can_sample: bool = False  # whether `sample` draws answers (self-consistency needs it)

    def warm_up(self) -> None:
        """Loads what `generate` needs (once; a cheap constructor leaves it to here or the first call)."""

    def generate(self, question: str, hits: Sequence[Hit], adapter: str | None = None) -> str:
        raise NotImplementedError(f"{type(self).__name__}.generate: a Generator must write generate(question, hits)")

    def generate_stream(self, question: str, hits: Sequence[Hit], adapter: str | None = None) -> Iterator[str]:
        """`generate`'s text in pieces as it is produced; by default one piece, when it is done."""
        yield self.generate(question, hits, **({"adapter": adapter} if self.adapter_choices() else {}))

    def adapter_choices(self) -> list[str]:
        """Adapter names a request may pick besides AUTO and BASE (empty: one model)."""
        return []

    def resolve_adapter(self, requested: str | None, hits: Sequence[Hit]) -> str:
        """The adapter that will answer `requested` (None: the default) for these hits, or BASE."""
        if requested not in (None, AUTO, BASE):
            from .errors import AssistantError

            raise AssistantError(f"adapter {requested!r}: expected none, this generator ({type(self).__name__}) "
                                 "has no adapters")
        return BASE

    def sample(self, messages: list[dict[str, str]], n: int, temperature: float = 0.7, seed: int = 0,
               max_new_tokens: int | None = None, adapter: str | None = None) -> list[str]:
        """n answers drawn at `temperature` for self-consistency (only where `can_sample`)."""
        raise NotImplementedError(f"{type(self).__name__} cannot sample answers; turn [reliability] "
                                  "self_consistency off for it")

    def display_name(self) -> str:
        return str(self.name or type(self).__name__)
