"""Ordinary non-English prose for the injection screen: the Debian Reference's translations (German,
Spanish, French, Italian, Portuguese), installed by Debian's `debian-reference-<lang>` packages.

The shared corpora are all English, so a detector trained on them alone learns "not English" as a
sign of an instruction (a fine-tuned encoder flagged half the non-English hard negatives). This manual
is the right counterweight: real prose in each language, full of imperatives addressed to a reader
("exécutez …", "führen Sie … aus"), which the screen must leave alone. Read where the packages put it;
nothing is copied into the repository. Sections are split into a training and an evaluation half by a
hash of their id (injection_corpus.side_of), so the non-English false-flag rate is read on sections the
detector never saw. Untranslated paragraphs (the translations lag the English original) are dropped
by a stop-word test, so each passage's language label is true."""

from __future__ import annotations

import gzip
import random
import re
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.core.settings import ChunkingConfig
from assistant.core.types import Document
from assistant.reliability.injection_corpus import MIN_CHARS, Passage, side_of
from assistant.reliability.injection_text import stop_word_counts

DEBREF = Path("/usr/share/debian-reference")
LANGS = ("de", "es", "fr", "it", "pt")
INSTALL = "apt-get install " + " ".join(f"debian-reference-{lang}" for lang in LANGS)
_HEADING = re.compile(r"^(?:\d+(?:\.\d+)*|[A-Z](?:\.\d+)*)\.\s+\S")


def available() -> list[str]:
    return [lang for lang in LANGS if (DEBREF / f"debian-reference.{lang}.txt.gz").is_file()]


def _paragraphs(block: list[str]) -> list[str]:
    """Prose paragraphs of a section: tables, code and one-line items are left out."""
    out, current = [], []
    for line in block + [""]:
        stripped = line.replace("\u00a0", " ").strip()
        if not stripped or stripped[0] in "|+$#" or line.startswith("        "):
            if current:
                out.append(" ".join(current))
            current = []
            continue
        current.append(stripped)
    return [p for p in out if len(p) >= MIN_CHARS and p.endswith((".", ":", "!", "?", ")"))]


def _in_language(paragraph: str, lang: str) -> bool:
    """Whether a paragraph is in `lang`: its own stop words clearly outnumber English ones (drops the
    untranslated paragraphs)."""
    counts = stop_word_counts(paragraph)
    return counts[lang] >= 2 and counts[lang] > 2 * counts["en"]


def sections(lang: str) -> list[Document]:
    """One document per numbered section of the manual in `lang`, its prose paragraphs only."""
    path = DEBREF / f"debian-reference.{lang}.txt.gz"
    if not path.is_file():
        raise AssistantError(f"injection foreign corpus {lang}: expected {path}, found nothing; install the "
                             f"translations with `{INSTALL}`")
    lines = gzip.open(path, "rt", encoding="utf-8", errors="replace").read().splitlines()
    docs, title, block = [], "", []

    def close() -> None:
        text = "\n\n".join(p for p in _paragraphs(block) if _in_language(p, lang))
        if text:
            docs.append(Document(id=f"debref-{lang}:{title[:60]}:{len(docs)}", text=text, title=title,
                                 source=str(path), domain="general"))

    for line in lines:
        if _HEADING.match(line):
            close()
            title, block = line.strip(), []
        else:
            block.append(line)
    close()
    return docs


def load_foreign(lang: str, side: str | None = None, limit: int = 0, seed: int = 0) -> list[Passage]:
    """Chunks of the manual in `lang` (one side of its section split, or all), shuffled, cut to `limit`."""
    from assistant.ingest.chunking import SentenceChunker

    chunker = SentenceChunker(ChunkingConfig())
    out: list[Passage] = []
    for doc in sections(lang):
        if side is not None and side_of(doc.id) != side:
            continue
        out.extend(Passage(f"debref-{lang}", doc.id, c.text) for c in chunker.chunk(doc)
                   if len(c.text.strip()) >= MIN_CHARS)
    random.Random(f"{seed}:debref-{lang}").shuffle(out)
    return out[:limit] if limit else out
