"""Real passages from the shared corpora, read by the project's own connectors and cut by its own
chunker, so the injection detector is trained and its false-flag rate measured on exactly the kind of
passages retrieval hands to the screen.

Each corpus's documents are split into a training half and an evaluation half by a hash of the document
id: no document has passages on both sides, so the false-flag rate is measured on text the detector has
never seen. The files are read where they lie (../shared/data); nothing is copied into the repository."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from assistant.core.errors import AssistantError
from assistant.core.settings import ChunkingConfig
from assistant.reliability.datasets import DEFAULT_DATA

TRAIN, EVAL = "train", "eval"
# corpus name -> (path under shared/data, domain the project would ingest it as)
CORPORA: dict[str, tuple[str, str]] = {
    "medquad": ("medquad", "healthcare"),
    "pubmedqa": ("pubmedqa/pqal_dev.json", "healthcare"),
    "cuad": ("cuad/full_contract_txt", "legal"),
    "contractnli": ("contractnli/dev.json", "legal"),
    "uslm": ("uslm", "legal"),
}
MIN_CHARS = 40  # a heading or a page number alone says nothing either way


@dataclass(frozen=True)
class Passage:
    corpus: str
    doc_id: str
    text: str


def side_of(doc_id: str, eval_share: float = 0.5) -> str:
    """TRAIN or EVAL for a document, stable across runs and machines (not Python's salted hash)."""
    h = int.from_bytes(hashlib.sha256(doc_id.encode("utf-8")).digest()[:8], "big") / 2**64
    return EVAL if h < eval_share else TRAIN


def _documents(corpus: str, root: Path) -> Iterator:
    from assistant.connectors.registry import connector_for

    rel, _ = CORPORA[corpus]
    path = root / rel
    if not path.exists():
        raise AssistantError(f"injection corpus {corpus}: expected {path}, found nothing; the public datasets live "
                             f"in ../shared/data beside the checkout (pass --data to point elsewhere)")
    for doc in connector_for(path).iter_documents():
        if not isinstance(doc, Exception):  # an unreadable file is the ingest tests' business, not ours
            yield doc


def load_passages(corpus: str, side: str | None = None, root: str | Path | None = None,
                  limit: int = 0, seed: int = 0, eval_share: float = 0.5) -> list[Passage]:
    """Chunks of one corpus (one side of its document split, or both when side is None), shuffled with
    `seed` and cut to `limit` (0 = all)."""
    from dataclasses import replace

    from assistant.ingest.chunking import SentenceChunker

    if corpus not in CORPORA:
        raise AssistantError(f"injection corpus: expected one of {', '.join(CORPORA)}, found {corpus!r}")
    chunker = SentenceChunker(ChunkingConfig())
    domain = CORPORA[corpus][1]
    out: list[Passage] = []
    for doc in _documents(corpus, Path(root or DEFAULT_DATA)):
        key = f"{corpus}:{doc.id}"
        if side is not None and side_of(key, eval_share) != side:
            continue
        doc = doc if doc.domain else replace(doc, domain=domain)
        out.extend(Passage(corpus, key, c.text) for c in chunker.chunk(doc) if len(c.text.strip()) >= MIN_CHARS)
    random.Random(f"{seed}:{corpus}").shuffle(out)
    return out[:limit] if limit else out


def available(root: str | Path | None = None) -> list[str]:
    """The corpora present under `root` (all of them on a developer's machine; none on a bare one)."""
    base = Path(root or DEFAULT_DATA)
    return [name for name, (rel, _) in CORPORA.items() if (base / rel).exists()]
