"""Integration on real public data from ../shared/data (skipped where it is absent)."""

import json

from assistant.connectors import JsonlConnector
from assistant.retrieval.retriever import HybridRetriever
from tests.conftest import shared_data


def test_pubmedqa_abstracts_ingested_with_exact_ids_and_retrievable(new_kb, tmp_path):
    data = json.loads(shared_data("pubmedqa/pqal_dev.json").read_text(encoding="utf-8"))
    items = list(data.items())[:60]
    records = tmp_path / "pubmedqa.jsonl"
    with records.open("w", encoding="utf-8") as f:
        for pmid, item in items:
            f.write(json.dumps({"id": pmid, "text": " ".join(item["CONTEXTS"]), "title": item["QUESTION"][:80],
                                "year": item.get("YEAR")}) + "\n")
    kb = new_kb()
    report = kb.ingest(JsonlConnector(records).iter_documents())
    assert report.documents_added == 60 and not report.errors
    retriever = HybridRetriever(kb)
    ranked = retriever.search_many([item["QUESTION"] for _, item in items], k=5)
    found = sum(any(h.chunk.doc_id == pmid for h in hits) for (pmid, _), hits in zip(items, ranked))
    assert found / len(items) >= 0.9, found
