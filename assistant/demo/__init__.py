"""The bundled demo corpus (illustrative documents written for this project, not advice)."""

from __future__ import annotations

import sys
from pathlib import Path

CORPUS = Path(__file__).parent / "corpus"
QUESTIONS = Path(__file__).parent / "questions.jsonl"
DOMAINS = {"health": "healthcare", "legal": "legal"}


def ensure_demo_kb(path: str | Path, settings=None):
    """Open the demo KB at `path`, building it from the bundled corpus on first use."""
    from assistant.connectors import FileConnector
    from assistant.ingest.kb import KnowledgeBase

    kb = KnowledgeBase(path, settings, create=True)
    if kb.stats()["documents"] == 0:
        print(f"building the demo knowledge base in {path} (first run only) …", file=sys.stderr)
        for step, (folder, domain) in enumerate(DOMAINS.items(), start=1):
            kb.ingest(FileConnector(CORPUS / folder).iter_documents(), domain=domain,
                      progress=f"demo KB {step}/{len(DOMAINS)}: {folder} documents")
    return kb
