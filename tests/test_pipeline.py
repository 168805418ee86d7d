"""End to end with the real bundled models: ingest the demo corpus, ask, check citations."""

import pytest

from assistant.core.errors import AssistantError
from assistant.core.serialize import answer_to_dict

pytestmark = pytest.mark.slow

CONTRACT = {"answer", "abstained", "confidence", "citations", "sentences", "quarantined", "notice", "abstain_reason",
            "escalated", "model"}


def _check_contract(d):
    assert CONTRACT <= set(d)
    assert isinstance(d["answer"], str) and isinstance(d["abstained"], bool) and 0 <= d["confidence"] <= 1
    for c in d["citations"]:
        assert set(c) >= {"n", "chunk_id", "doc_id", "title", "locator", "text"}
    for s in d["sentences"]:
        assert set(s) >= {"text", "citations", "support", "verdict"}
        assert s["verdict"] in ("supported", "repaired", "unsupported", "removed")
        assert set(s["citations"]) <= {c["n"] for c in d["citations"]}


def test_answer_cites_the_one_document_that_holds_it(assistant):
    answer = assistant.ask("How long does the customer have to pay an invoice under the master services agreement?")
    d = answer_to_dict(answer)
    _check_contract(d)
    assert not d["abstained"]
    assert d["citations"] and all(c["doc_id"] == "legal/services-agreement.md" for c in d["citations"])
    supported = [s for s in d["sentences"] if s["verdict"] == "supported"]
    assert supported and all(s["citations"] for s in supported)
    assert "45 days" in d["answer"]
    # The demo corpus plants no instructions; the legal notice is its own field, not part of the cited text.
    assert d["quarantined"] == [] and not d["escalated"] and d["abstain_reason"] == ""
    assert d["notice"].startswith("Not legal advice") and "legal advice" not in d["answer"]
    for c in d["citations"]:
        assert f"[{c['n']}]" in d["answer"]


def test_most_demo_questions_are_answered_from_their_document(assistant, demo_questions):
    answerable = [q for q in demo_questions if q["expected_doc"]]
    cited_right = 0
    for q in answerable:
        d = answer_to_dict(assistant.ask(q["question"]))
        _check_contract(d)
        cited_right += any(c["doc_id"] == q["expected_doc"] for c in d["citations"])
    # The 135M generator is weak; the verifier and quote fallback still keep most answers grounded.
    assert cited_right >= 9, cited_right


def test_absent_answer_abstains_with_closest_passages(assistant, demo_questions):
    for q in [q for q in demo_questions if not q["expected_doc"]]:
        d = answer_to_dict(assistant.ask(q["question"]))
        _check_contract(d)
        assert d["abstained"] and d["answer"] == "Not found in the knowledge base."
        assert d["citations"] == [] and d["sentences"] == [] and d["confidence"] == 0
        assert d["closest"], "closest passages are listed for the user to check"
        assert d["abstain_reason"] == "no passage relevant enough" and d["model"] == ""


def test_under_the_relevance_gate_a_close_verified_quote_answers(assistant):
    question = "Pause for contrast dye?"  # few words: no whole passage is close, one sentence is
    hits = assistant.search(question)
    assert max(h.relevance for h in hits) < assistant._min_relevance(hits), "the case must sit under the gate"
    d = answer_to_dict(assistant.ask(question))
    _check_contract(d)
    assert not d["abstained"] and d["checks"]["quoted_under_gate"] == 1
    assert d["answer"].startswith("Metformin may need to be paused around some procedures that use iodinated "
                                  "contrast dye")
    [sentence] = d["sentences"]
    assert sentence["verdict"] == "supported" and sentence["note"] == "quoted from source"
    assert [c["doc_id"] for c in d["citations"]] == ["health/metformin.md"]


def test_the_gated_quote_needs_a_sentence_close_to_the_question(assistant):
    from dataclasses import replace

    from assistant.core.settings import ReliabilityConfig
    from assistant.reliability import AnswerChecker

    question = "Pause for contrast dye?"
    hits = assistant.search(question)
    assert assistant.checker.quote_answer(question, hits) is not None
    # its best sentence (cosine 0.61) under a stricter bar: no quote, so the abstention stands
    strict = AnswerChecker(assistant.checker.scorer, replace(assistant.checker.config, gated_quote_min_similarity=0.9))
    assert strict.quote_answer(question, hits) is None
    assert assistant.checker.quote_answer("What is the capital of France?", assistant.search("What is the capital of France?")) is None
    with pytest.raises(Exception, match="gated_quote_min_similarity"):
        ReliabilityConfig(gated_quote_min_similarity=1.5)


def test_an_empty_kb_says_it_is_empty_and_how_to_fill_it(assistant, new_kb):
    d = answer_to_dict(assistant.for_kb(new_kb("empty")).ask("What is the notice period?"))
    _check_contract(d)
    assert d["abstained"] and d["abstain_reason"] == "the knowledge base is empty"
    assert d["answer"].startswith("The knowledge base is empty") and "assistant ingest" in d["answer"]
    assert d["citations"] == [] and d["closest"] == []


def test_empty_and_oversized_questions_are_user_errors(assistant):
    with pytest.raises(AssistantError, match="empty"):
        assistant.ask("   ")
    with pytest.raises(AssistantError, match="over the limit"):
        assistant.ask("why " * 2000)


def test_every_answer_is_audited_with_its_user(assistant):
    from assistant.reliability.audit import AuditLog, question_hash

    question = "What HbA1c result is used as the cutoff for diagnosing diabetes?"
    answer = assistant.ask(question, user="clinician-7")
    record = AuditLog(assistant.kb.path / "audit.sqlite").read(user="clinician-7")[0]
    assert record.question_sha256 == question_hash(question) and record.question is None
    assert record.model == answer.model and record.abstained == answer.abstained
    assert [v["verdict"] for v in record.verdicts] == [s.verdict for s in answer.sentences]


def test_shown_sentences_carry_citations_the_verifier_supports(assistant, demo_questions):
    """Issue 6 end to end: on the demo questions whose answer is in the corpus, at least 95 % of the
    sentences shown carry a citation whose passage the verifier (asked afresh) labels supporting; on
    those whose answer is absent, the assistant abstains."""
    from assistant.reliability import Verifier

    verifier = Verifier(assistant.settings, embedder=assistant.kb.embedder)
    shown = backed = 0
    for q in demo_questions:
        answer = assistant.ask(q["question"])
        if not q["expected_doc"]:
            assert answer.abstained, q["question"]
            continue
        passages = {c.n: c.chunk.text for c in answer.citations}
        for s in answer.sentences:
            if s.verdict in ("supported", "repaired", "unsupported"):
                shown += 1
                labels = [verifier.verify(s.text, passages[n])[0] for n in s.citations]
                backed += "supported" in labels
    assert shown >= 10 and backed / shown >= 0.95, (backed, shown)


def test_demo_questions_are_answered_with_the_expected_fact_and_a_verified_citation(assistant, demo_questions):
    """The answers issue's demo criterion: at least 10 of the 12 answerable demo questions get their
    expected fact in a shown sentence the checker backed (supported or repaired), citing the expected
    document. (How many of those sentences are the generator's own rather than a checked quote is
    measured by bench/answers.py; on the demo it is 4.)"""
    right = []
    for q in demo_questions:
        if not q["expected_doc"]:
            continue
        answer = assistant.ask(q["question"])
        docs = {c.n: c.chunk.doc_id for c in answer.citations}
        if any(s.verdict in ("supported", "repaired") and q["answer_contains"].lower() in s.text.lower()
               and q["expected_doc"] in {docs[n] for n in s.citations} for s in answer.sentences):
            right.append(q["id"])
    assert len(right) >= 10, right


def test_warm_up_says_each_model_it_loads(assistant):
    lines = []
    assistant.warm_up(lines.append)  # already loaded: each step is quick, but still reported
    assert [line.split(":")[0] for line in lines] == [f"loading models {n}/4" for n in (1, 1, 2, 2, 3, 3, 4, 4)]
    assert "embedding model" in lines[0] and "verifier" in lines[4] and "generator" in lines[6]
    assert all(line.endswith(" s") for line in lines[1::2])
