"""A whole knowledge base on each dense backend: same hits, and a reopen with other settings is refused."""

from pathlib import Path

import pytest

from assistant.core.errors import KnowledgeBaseError
from assistant.core.settings import Settings
from assistant.core.types import Document, SearchFilter
from assistant.ingest.kb import KnowledgeBase
from assistant.retrieval.retriever import HybridRetriever

DOCS = [
    Document(id="asthma", title="Asthma", domain="healthcare", text="Inhaled corticosteroids reduce airway inflammation in asthma."),
    Document(id="warfarin", title="Warfarin", domain="healthcare", acl=("pharmacy",),
             text="Warfarin therapy needs regular INR monitoring because bleeding risk rises."),
    Document(id="lease", title="Lease", domain="legal", text="The tenant shall pay rent on the first day of each month."),
    Document(id="nda", title="NDA", domain="legal", text="Confidential information shall not be disclosed to third parties."),
]
QUERIES = ["airway inflammation treatment", "blood thinner monitoring", "when is rent due", "keeping secrets"]


def _kb(path: Path, settings: Settings, embedder) -> KnowledgeBase:
    kb = KnowledgeBase(path, settings, create=True, embedder=embedder)
    assert kb.ingest(DOCS).documents_added == len(DOCS)
    return kb


def _backends(tmp_path, url):
    base = Settings()
    return {"faiss": base,
            "chroma-embedded": base.with_overrides("index", backend="chroma"),
            "chroma-server": base.with_overrides("index", backend="chroma", chroma_url=url,
                                                 chroma_collection=f"kb-{tmp_path.name}"[-60:])}


def test_every_backend_gives_the_same_hits_and_filters(tmp_path, embedder, chroma_server_url):
    ranked = {}
    for name, settings in _backends(tmp_path, chroma_server_url).items():
        kb = _kb(tmp_path / name, settings, embedder)
        retriever = HybridRetriever(kb)
        ranked[name] = [[h.chunk.doc_id for h in hits] for hits in retriever.search_many(QUERIES, k=3)]
        assert [r[0] for r in ranked[name]] == ["asthma", "warfarin", "lease", "nda"]
        public = retriever.search("blood thinner monitoring", k=3, filters=SearchFilter(groups=()))
        assert "warfarin" not in [h.chunk.doc_id for h in public] and len(public) == 3
        assert kb.stats()["index"]["backend"] == name.split("-")[0]
        kb.close()
    assert ranked["faiss"] == ranked["chroma-embedded"] == ranked["chroma-server"]


def test_reopening_with_another_backend_is_refused(tmp_path, embedder):
    _kb(tmp_path / "kb", Settings(), embedder).close()
    with pytest.raises(KnowledgeBaseError, match="keeps its vectors in"):
        KnowledgeBase(tmp_path / "kb", Settings().with_overrides("index", backend="chroma"), embedder=embedder)
