import json
import subprocess
import sys

import numpy as np
import pytest

from assistant.core.errors import KnowledgeBaseError
from assistant.core.settings import Settings
from assistant.core.types import Document
from assistant.ingest.kb import KnowledgeBase, embedding_text

DOCS = [Document(id=f"d{i}", text=f"Document {i} explains topic number {i}. It has a second sentence.", title=f"T{i}")
        for i in range(5)]


def test_reingest_unchanged_is_a_noop_and_changed_is_replaced(new_kb):
    kb = new_kb()
    first = kb.ingest(DOCS)
    assert (first.documents_added, first.chunks_added) == (5, 5)
    assert set(first.stages) == {"read", "prepare", "embed", "write", "save"} and first.stages["embed"] > 0
    assert sum(first.stages.values()) <= first.seconds + 0.05  # the stages are parts of the whole
    again = kb.ingest(DOCS)
    summary = again.to_dict()
    assert summary.pop("seconds") >= 0
    assert "embed" not in summary.pop("stages")  # nothing changed: nothing embedded
    assert summary == {"documents_added": 0, "documents_updated": 0, "documents_unchanged": 5,
                       "documents_pruned": 0, "chunks_added": 0, "chunks_reused": 0, "redactions": {}, "errors": [], "warnings": [], "skipped": []}
    assert kb.stats()["chunks"] == 5 and len(kb.dense) == 5
    changed = Document(id="d1", text="Completely new text about kidneys.", title="T1")
    r = kb.ingest([changed])
    assert (r.documents_updated, r.chunks_added) == (1, 1)
    assert kb.stats()["chunks"] == 5 and len(kb.dense) == 5
    texts = [c.text for c in kb.catalog.chunks(kb.catalog.chunk_keys("d1")).values()]
    assert texts == ["Completely new text about kidneys."]
    assert [key for key, _ in kb.catalog.sparse.search("kidneys", 10)] == kb.catalog.chunk_keys("d1")


def test_reopen_in_a_new_process(new_kb, tmp_path):
    kb = new_kb("persist")
    kb.ingest(DOCS)
    kb.close()
    code = ("import json,sys; from assistant.ingest.kb import KnowledgeBase; from assistant.retrieval.retriever import HybridRetriever;"
            "kb=KnowledgeBase(sys.argv[1]); hits=HybridRetriever(kb).search('topic number 3', 2);"
            "print(json.dumps([kb.stats()['documents'], hits[0].chunk.doc_id]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "persist")], capture_output=True, text=True,
                         check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [5, "d3"]


def test_embedding_model_mismatch_is_a_clear_error(new_kb, tmp_path, embedder):
    kb = new_kb("mm")
    kb.ingest(DOCS[:1])
    other = Settings().with_overrides("embedding", model=str(tmp_path / "some-other-model"))
    with pytest.raises(KnowledgeBaseError, match="was built with embedding model 'bundled:all-MiniLM-L6-v2'"):
        KnowledgeBase(tmp_path / "mm", other)


def test_missing_and_non_kb_directories(tmp_path):
    with pytest.raises(KnowledgeBaseError, match="does not exist; build it first"):
        KnowledgeBase(tmp_path / "nope")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x.txt").write_text("x")
    with pytest.raises(KnowledgeBaseError, match="not empty"):
        KnowledgeBase(tmp_path / "full", create=True)


def test_dense_index_rebuilt_after_crash_between_catalog_and_index(new_kb, tmp_path, settings, embedder):
    kb = new_kb("crash")
    kb.ingest(DOCS)
    kb.close()
    (tmp_path / "crash" / "dense.faiss").unlink()  # as if killed before the index was written
    reopened = KnowledgeBase(tmp_path / "crash", settings, embedder=embedder)
    reopened.reconcile()
    assert len(reopened.dense) == 5 and reopened.dense.keys() == set(reopened.catalog.chunk_keys())


def test_bad_items_do_not_lose_existing_data(new_kb):
    from assistant.core.errors import SourceError

    kb = new_kb()
    kb.ingest(DOCS)
    r = kb.ingest([SourceError("x.txt", "file is empty"), Document(id="d9", text="   "), DOCS[0]])
    assert r.documents_unchanged == 1 and len(r.errors) == 2
    assert {e["source"] for e in r.errors} == {"x.txt", "d9"}
    assert kb.stats()["documents"] == 5


def test_delete_document(new_kb):
    kb = new_kb()
    kb.ingest(DOCS)
    assert kb.delete_document("d2") is True and kb.delete_document("d2") is False
    assert kb.stats()["documents"] == 4 and len(kb.dense) == 4


def test_changed_document_reuses_embeddings_of_its_unchanged_passages(new_kb, embedder):
    paragraphs = [f"## Clause {i}\n\nThe supplier shall deliver batch {i} within {i + 3} days of the order."
                  for i in range(6)]
    kb = new_kb()
    first = kb.ingest([Document(id="c", title="Supply", text="\n\n".join(paragraphs))])
    assert first.chunks_reused == 0 and first.chunks_added >= 6
    paragraphs[2] = "## Clause 2\n\nThe buyer may inspect every batch on arrival and reject defective goods."
    second = kb.ingest([Document(id="c", title="Supply", text="\n\n".join(paragraphs))])
    assert second.documents_updated == 1 and (second.chunks_reused, second.chunks_added) == (5, 6)
    # A reused vector is exactly what encoding the passage again would give.
    keys = kb.catalog.chunk_keys("c")
    chunks = kb.catalog.chunks(keys)
    stored = kb.catalog.embeddings(keys, kb.dense.dimension)
    fresh = embedder.encode([embedding_text(chunks[k]) for k in keys])
    assert np.allclose(stored, fresh, atol=1e-5)


def test_an_ingest_progress_bar_carries_its_label(new_kb, capsys):
    kb = new_kb()
    kb.ingest([Document("a.md", "Leases renew every twelve months unless terminated in writing.")],
              progress="demo KB 2/2: legal documents")
    err = capsys.readouterr().err
    assert "demo KB 2/2: legal documents:" in err and "1/" not in err.split("legal documents:")[0]
