import pytest

from assistant.core.settings import ReliabilityConfig
from assistant.core.types import Chunk, Hit
from assistant.reliability import AnswerChecker, SupportScorer
from assistant.reliability.checks import NOT_FOUND

HITS = [
    Hit(Chunk("a#0", "a", "Invoices are payable within 45 days of receipt. Late payments accrue interest.", 0, 80,
              title="Services Agreement"), 0.9, 0.7),
    Hit(Chunk("b#0", "b", "Metformin can rarely cause lactic acidosis, a medical emergency.", 0, 60,
              title="Metformin"), 0.5, 0.4),
]


def checker(embedder, **kw):
    return AnswerChecker(SupportScorer(embedder), ReliabilityConfig(**kw))


def test_citations_are_mapped_corrected_and_renumbered(embedder):
    raw = ("Metformin can rarely cause lactic acidosis [2]. Invoices are payable within 45 days [2]. "
           "The moon is made of cheese [1].")
    r = checker(embedder).check("What does the agreement say about invoices and metformin?", raw, HITS)
    assert not r.abstained
    verdicts = [(s.verdict, s.citations, s.note) for s in r.sentences]
    assert verdicts[0] == ("supported", (1,), "")  # [2] renumbered to [1] by first use
    assert verdicts[1] == ("repaired", (2,), "citation corrected by verifier")
    assert verdicts[2][0] == "removed" and verdicts[2][1] == ()
    assert [c.chunk.id for c in r.citations] == ["b#0", "a#0"]
    assert r.text.startswith("Metformin can rarely cause lactic acidosis [1].") and "cheese" not in r.text
    assert 0 < r.confidence < 1
    # ALCE on the generator's own citations: sentence 1 right, 2 cites the wrong passage, 3 nothing supports
    assert r.metrics["generator_citation_recall"] == pytest.approx(1 / 3, abs=1e-3)
    assert r.metrics["generator_citation_precision"] == pytest.approx(1 / 3, abs=1e-3)
    assert r.metrics["citation_recall"] == 1.0  # what is shown carries supporting citations only


def test_flag_mode_shows_unsupported_marked(embedder):
    r = checker(embedder, unsupported="flag").check(
        "invoices?", "Invoices are payable within 45 days [1]. The moon is made of cheese [1].", HITS)
    assert [s.verdict for s in r.sentences] == ["supported", "unsupported"]
    assert "cheese" in r.text and r.metrics["citation_recall"] == 0.5


def test_a_copied_wrong_number_is_replaced_by_the_source_sentence(embedder):
    r = checker(embedder).check("When are invoices payable?", "Invoices are payable within 30 days of receipt [1].",
                                HITS)
    s = r.sentences[0]
    assert (s.verdict, s.note) == ("repaired", "replaced by the cited passage's own words")
    assert s.text == "Invoices are payable within 45 days of receipt." and "30 days" not in r.text
    assert r.text == "Invoices are payable within 45 days of receipt [1]."


def test_drop_mode_removes_unsupported(embedder):
    r = checker(embedder, unsupported="drop").check(
        "invoices?", "Invoices are payable within 45 days [1]. The moon is made of cheese.", HITS)
    assert [s.verdict for s in r.sentences] == ["supported", "removed"] and "cheese" not in r.text


def test_echoes_refusals_and_cut_off_tails_are_dropped_then_quote_fallback(embedder):
    raw = "When are invoices payable? The answer is not in the sources. Invoices are paid by"
    r = checker(embedder).check("When are invoices payable?", raw, HITS)
    assert len(r.sentences) == 1 and r.sentences[0].note == "quoted from source"
    assert r.sentences[0].text == "Invoices are payable within 45 days of receipt."
    assert r.citations[0].chunk.id == "a#0"


def test_abstains_when_nothing_is_supported_and_no_quote_is_close(embedder):
    r = checker(embedder).check("Who won the 2018 World Cup?", "France won it in Moscow.", HITS)
    assert r.abstained and r.text == NOT_FOUND and r.citations == [] and r.confidence == 0.0


def test_a_copied_markdown_heading_is_not_an_answer_sentence(embedder):
    heading = [Hit(Chunk("m#0", "m", "# Metformin\n*Illustrative Demo Document*\n\nMetformin can rarely cause lactic "
                                     "acidosis, a medical emergency.", 0, 90, title="Metformin"), 0.8, 0.6)]
    r = checker(embedder).check("What rare side effect can metformin cause?",
                                "Metformin: # Metformin *Illustrative Demo Document* [1]", heading)
    assert [s.text for s in r.sentences if s.verdict != "removed"] == [
        "Metformin can rarely cause lactic acidosis, a medical emergency."]
    assert all("#" not in s.text for s in r.sentences)
    # "# of" in running text is not a heading
    kept = checker(embedder).check("How many shares?", "The # of shares is 45 days of receipt [1].", HITS)
    assert kept.sentences and kept.sentences[0].text.startswith("The # of shares")


def test_each_backed_sentence_carries_the_passage_sentence_that_backs_it(embedder):
    from assistant.core.types import Answer

    raw = "Metformin can rarely cause lactic acidosis [2]. Invoices are payable within 45 days [2]. Moon cheese [1]."
    r = checker(embedder).check("What does the agreement say about invoices and metformin?", raw, HITS)
    supported, repaired, removed = r.sentences
    assert supported.evidence == ("Metformin can rarely cause lactic acidosis, a medical emergency.",)
    assert repaired.evidence == ("Invoices are payable within 45 days of receipt.",)  # from the re-cited passage
    assert removed.evidence == ()
    answer = Answer("q", r.text, r.citations, r.sentences, False, r.confidence)
    assert answer.evidence_by_citation() == {1: [supported.evidence[0]], 2: [repaired.evidence[0]]}


def test_two_hits_holding_one_chunk_share_one_citation_number(embedder):
    twice = [HITS[0], Hit(HITS[0].chunk, 0.8, 0.6), HITS[1]]
    r = checker(embedder).check("When are invoices payable?", "Invoices are payable within 45 days of receipt [1][2].",
                                twice)
    assert r.sentences[0].citations == (1,) and [c.chunk.id for c in r.citations] == ["a#0"]
    assert r.text == "Invoices are payable within 45 days of receipt [1]."
    assert len(r.sentences[0].evidence) == 1


def test_sentences_are_shown_as_prose_without_pdf_line_breaks_or_clause_numbers(embedder):
    pdf = Hit(Chunk("p#0", "p", "14.3 Governing Law.\n4.3 The Agreement shall be gov-\nerned by the laws of\n"
                    "the   State of Delaware.", 0, 90, title="Supply Agreement"), 0.9, 0.8)
    raw = "4.3 The Agreement shall be gov-\nerned by the laws of\nthe  State of Delaware [1]."
    r = checker(embedder).check("Which law governs the agreement?", raw, [pdf])
    assert r.text == "The Agreement shall be governed by the laws of the State of Delaware [1]."
    assert r.sentences[0].verdict in ("supported", "repaired")


@pytest.mark.parametrize("raw, shown", [
    ("4.3 The Candidate shall", "The Candidate shall"),
    ("(b) The Supplier shall pay", "The Supplier shall pay"),
    ("- Take it with food.", "Take it with food."),
    ("4.5 mg is the usual dose.", "4.5 mg is the usual dose."),
    ("30 days' notice is required.", "30 days' notice is required."),
    ("The treat-\nment lasts\n two   weeks.", "The treatment lasts two weeks."),
    ("A well-known drug.", "A well-known drug."),
])
def test_display_sentence(raw, shown):
    from assistant.core.text import display_sentence

    assert display_sentence(raw) == shown


def test_a_leading_decision_is_not_shown_as_part_of_a_verified_sentence():
    from assistant.reliability.checks import _claims

    # The verifier judges the sentence, never the generator's yes/no: a wrong "Yes:" must not ride on it.
    claims = _claims("Yes: Amoxicillin does not work against viral infections such as the common cold [1].", 2,
                     "Will amoxicillin help me get over a cold?")
    assert claims == [("Amoxicillin does not work against viral infections such as the common cold.", (0,))]
    assert _claims("No patient had biliary atresia [1].", 2, "Was atresia seen?")[0][0] == "No patient had biliary atresia."


def test_link_text_is_neither_an_answer_sentence_nor_a_quote(embedder):
    text = ("Learn more about the signs and symptoms of urinary tract infections in adults. Symptoms of a bladder "
            "infection include pain or burning during urination and urinating often.")
    uti = [Hit(Chunk("u#0", "u", text, 0, len(text), title="Urinary Tract Infections"), 0.8, 0.6)]
    question = "What are the symptoms of urinary tract infections in adults?"
    r = checker(embedder).check(question, "Learn more about the signs and symptoms of urinary tract infections [1].", uti)
    assert "Learn more" not in r.text
    assert [s.text for s in r.sentences if s.verdict != "removed"] == [
        "Symptoms of a bladder infection include pain or burning during urination and urinating often."]
