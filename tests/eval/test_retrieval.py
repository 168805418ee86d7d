"""Judging a ranking against gold passages rather than document ids (CUAD clauses, ContractNLI spans)."""

from assistant.core.types import Chunk
from assistant.eval.items import EvalItem
from assistant.eval.retrieval import holds, judged, relevance

CLAUSE = "This Agreement shall be governed by the laws of the State of New York."


def _chunk(n, text):
    return Chunk(id=f"c{n}", doc_id="contract.txt", text=text, start=0, end=len(text))


def test_a_chunk_holding_most_of_a_passage_finds_it():
    assert holds("12. Governing Law. " + CLAUSE + " Each party consents.", CLAUSE)
    assert holds(CLAUSE[:50], CLAUSE)  # a chunk that is mostly the clause's first part
    assert not holds("The Supplier delivers the goods within 30 days of the order.", CLAUSE)


def test_evidence_ranking_counts_each_passage_once():
    item = EvalItem("q", "Which law governs?", evidence=(CLAUSE, "Notices go by registered mail."))
    chunks = [_chunk(1, "Payment is due in 30 days."), _chunk(2, CLAUSE), _chunk(3, "Governing law: " + CLAUSE)]
    assert judged(chunks, item) == ["chunk:c1", "evidence:0"]
    assert relevance(item) == {"evidence:0": 1.0, "evidence:1": 1.0}
    by_doc = EvalItem("q", "Which law governs?", relevance={"contract.txt": 1.0})
    assert judged(chunks, by_doc) == ["contract.txt"]
