"""Structure-aware chunker: sections from headings, chunks packed from whole sentences, exact offsets."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace

from assistant.core.settings import ChunkingConfig
from assistant.core.text import sentence_spans
from assistant.core.types import Chunk, Document, Locator
from assistant.ingest.clauses import clause_spans

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
# "7. Governing Law", "2.3 Fees", "Section 4 - Term", "ARTICLE IV Remedies"
_NUMBERED = re.compile(
    r"^(?:(?i:section|article|clause|§)\s+([0-9]+(?:\.[0-9]+)*|[IVXLC]+)|([0-9]+(?:\.[0-9]+)*)|([IVXLC]+)(?=[.)]))"
    r"(?:[.)]\s*|\s*[-–—:]\s*|\s+)(.+)$")


class SentenceChunker:
    """Splits a document into chunks that never cross a section and never cut a sentence
    (unless one sentence alone is longer than `max_chars`)."""

    def __init__(self, config: ChunkingConfig | None = None) -> None:
        self.config = config or ChunkingConfig()

    def chunk(self, document: Document) -> list[Chunk]:
        cfg = self.config.for_domain(document.domain)
        pieces: list[tuple[int, int, Locator]] = []
        page_starts = document.metadata.get("page_starts") or []
        spans = (_structure(document) or _sections(document.text)
                 or clause_spans(document.text, cfg.max_chars, legal=document.domain == "legal"))
        for start, end, locator in spans or [(0, len(document.text), Locator())]:
            # Paged sources (PDF): chunks also stop at page breaks, so each cites exactly one page.
            cuts = [start] + [p for p in page_starts if start < p < end] + [end]
            for a, b in zip(cuts, cuts[1:]):
                loc = replace(locator, page=bisect_right(page_starts, a)) if page_starts else locator
                pieces.extend((s, e, loc) for s, e in _pack(document.text, a, b, cfg))
        return [
            Chunk(id=f"{document.id}#{i}", doc_id=document.id, text=document.text[s:e], start=s, end=e,
                  locator=loc, title=document.title, domain=document.domain, acl=document.acl)
            for i, (s, e, loc) in enumerate(pieces)
        ]


def _pack(text: str, start: int, end: int, cfg: ChunkingConfig) -> list[tuple[int, int]]:
    sentences = [(start + s, start + e) for s, e in sentence_spans(text[start:end])]
    sentences = [piece for s, e in sentences for piece in _hard_split(text, s, e, cfg.max_chars)]
    chunks: list[tuple[int, int]] = []
    i = 0
    while i < len(sentences):
        j = i + 1
        while j < len(sentences) and sentences[j][1] - sentences[i][0] <= cfg.max_chars:
            j += 1
        # A lone heading ("2. GRANT OF RIGHTS.") is not a passage: it travels with what follows.
        while j < len(sentences) and sentences[j - 1][1] - sentences[i][0] < cfg.min_chars:
            j += 1
        chunks.append((sentences[i][0], sentences[j - 1][1]))
        if j >= len(sentences):
            break
        # Overlap only where the repeated sentences leave room for new ones; otherwise the next
        # chunk would be the overlap alone.
        back = j - cfg.overlap_sentences
        i = back if back > i and sentences[j][1] - sentences[back][0] <= cfg.max_chars else j
    if len(chunks) >= 2 and chunks[-1][1] - chunks[-1][0] < cfg.min_chars:
        tail = chunks.pop()
        chunks[-1] = (chunks[-1][0], tail[1])
    return chunks


def _structure(document: Document) -> list[tuple[int, int, Locator]]:
    """Spans a structured connector (statutes, FHIR, ...) already knows: `metadata["structure"]` is a
    list of {"start", "end", "section"?, "clause"?, "page"?} in document order; chunks never cross them."""
    spans = document.metadata.get("structure") or []
    out = []
    for span in spans:
        start, end = int(span["start"]), int(span["end"])
        if not 0 <= start < end <= len(document.text):
            raise ValueError(f"document {document.id!r}: structure span {start}..{end} is outside its text "
                             f"(0..{len(document.text)}); the connector must give offsets into Document.text")
        out.append((start, end, Locator.from_dict(span)))
    return out


def _sections(text: str) -> list[tuple[int, int, Locator]]:
    """(start, end, locator) for the text before the first heading and each heading's section."""
    heads = list(_HEADING.finditer(text))
    if not heads:
        return []  # plain text: the caller tries clause numbering next
    out: list[tuple[int, int, Locator]] = []
    first = heads[0].start()
    if text[:first].strip():
        out.append((0, first, Locator()))
    for k, m in enumerate(heads):
        end = heads[k + 1].start() if k + 1 < len(heads) else len(text)
        if m.group(1) == "#" and k == 0 and not text[m.end():end].strip():
            continue  # a bare document title with nothing under it
        out.append((m.start(), end, _locator(m.group(2).strip(), level=len(m.group(1)))))
    return out


def _locator(heading: str, level: int) -> Locator:
    if level == 1:
        return Locator()  # the document title; the title is shown anyway
    m = _NUMBERED.match(heading)
    if m:
        return Locator(section=m.group(4).strip(), clause=m.group(1) or m.group(2) or m.group(3))
    return Locator(section=heading)


def _hard_split(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    out = []
    while end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        out.append((start, cut))
        start = cut + 1
    out.append((start, end))
    return out
