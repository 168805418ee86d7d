from assistant.retrieval import HybridRetriever


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
    from assistant.types import Document

    kb = new_kb()
    kb.ingest([Document(id="code", text="Product code ZX-4471-B is recalled."),
               Document(id="other", text="General information about recalls of products.")])
    hits = HybridRetriever(kb).search("ZX-4471-B", k=2)
    assert hits[0].chunk.doc_id == "code" and hits[0].scores["bm25"] == 1.0


def test_fts_query_syntax_is_neutralised(demo_kb):
    # FTS5 operators and quotes in user text must not raise.
    hits = HybridRetriever(demo_kb).search('"NEAR(invoice, payment)" OR title: AND -', k=3)
    assert len(hits) == 3
