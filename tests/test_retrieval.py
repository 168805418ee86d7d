from assistant.retrieval.retriever import HybridRetriever


def test_each_demo_question_finds_its_document_first(demo_kb, demo_questions):
    retriever = HybridRetriever(demo_kb)
    answerable = [q for q in demo_questions if q["expected_doc"]]
    ranked = retriever.search_many([q["question"] for q in answerable], k=5)
    for q, hits in zip(answerable, ranked):
        assert hits[0].chunk.doc_id.endswith(q["expected_doc"]), (q["question"], [h.chunk.doc_id for h in hits])
        assert hits == sorted(hits, key=lambda h: -h.score)


def test_off_topic_questions_stay_below_the_relevance_floor(demo_kb, demo_questions, settings):
    retriever = HybridRetriever(demo_kb)
    for q in demo_questions:
        best = max(h.relevance for h in retriever.search(q["question"], k=5))
        if q["expected_doc"]:
            assert best >= settings.retrieval.min_relevance, q
        else:
            assert best < settings.retrieval.min_relevance, q


def test_bm25_only_match_still_found(new_kb):
    from assistant.core.types import Document

    kb = new_kb()
    kb.ingest([Document(id="code", text="Product code ZX-4471-B is recalled."),
               Document(id="other", text="General information about recalls of products.")])
    hits = HybridRetriever(kb).search("ZX-4471-B", k=2)
    assert hits[0].chunk.doc_id == "code" and hits[0].scores["bm25"] == 1.0


def test_fts_query_syntax_is_neutralised(demo_kb):
    # FTS5 operators and quotes in user text must not raise.
    hits = HybridRetriever(demo_kb).search('"NEAR(invoice, payment)" OR title: AND -', k=3)
    assert len(hits) == 3


CONTRACT = """MASTER SUPPLY AGREEMENT

This Master Supply Agreement is entered into as of March 3, 2021 by and between Northwind Components
Ltd., a Delaware corporation ("Supplier"), and Harbor Medical Devices Inc. ("Buyer").

1. Supply of Products. Supplier shall manufacture and deliver the products listed in Exhibit A in the
quantities stated in each purchase order accepted by Supplier.

2. Prices. Prices are fixed for the first year and may be adjusted once per year with ninety days notice.

3. Warranty. Supplier warrants that each product conforms to its specification for twelve months after
delivery and will repair or replace any product that does not.

4. Governing Law. This agreement is governed by the laws of the State of New York.

5. Termination. Either party may terminate this agreement for material breach not cured within thirty days.
"""


def _contracts_kb(new_kb):
    from assistant.core.types import Document

    kb = new_kb()
    other = CONTRACT.replace("Northwind Components", "Bluefin Logistics").replace("Harbor Medical", "Cedar Labs")
    kb.ingest([Document(id="msa", title="Supply agreement", text=CONTRACT, domain="legal", acl=("legal",)),
               Document(id="msa-2", title="Logistics agreement", text=other, domain="legal", acl=("ops",))])
    return kb


def test_question_about_the_parties_finds_the_preamble(new_kb):
    from assistant.core.types import SearchFilter

    kb = _contracts_kb(new_kb)
    retriever = HybridRetriever(kb)
    hits = retriever.search("Who are the parties to this agreement?", k=3, filters=SearchFilter(doc_ids=("msa",)))
    assert hits[0].chunk.start == 0 and "Harbor Medical Devices" in hits[0].chunk.text
    # The other contract's preamble is a candidate's opening passage too, but outside the caller's groups.
    hits = retriever.search("Who are the parties to this agreement?", k=5, filters=SearchFilter(groups=("legal",)))
    assert hits and all(h.chunk.doc_id == "msa" for h in hits)


def test_legal_passages_are_ranked_with_the_legal_values(new_kb):
    from assistant.core.settings import FITTED_DOMAINS

    kb = _contracts_kb(new_kb)
    retriever = HybridRetriever(kb)
    assert retriever.params_for("legal").dense_weight == FITTED_DOMAINS["legal"]["dense_weight"]
    assert retriever.params_for("").dense_weight == kb.settings.retrieval.dense_weight
    hits = retriever.search("Which state's law governs the interpretation of the contract?", k=1)
    assert "governed by the laws of the State of New York" in hits[0].chunk.text
