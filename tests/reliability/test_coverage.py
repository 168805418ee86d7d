"""The question's subject must be in the sources (reliability/coverage.py), with the real wordfreq lists."""

from dataclasses import replace

from assistant.core.settings import ReliabilityConfig
from assistant.core.types import ABSTAIN_OFF_SUBJECT, VERDICT_REMOVED, VERDICT_UNSUPPORTED, Chunk, Hit, Locator
from assistant.reliability import AnswerChecker, SupportScorer
from assistant.reliability.coverage import (
    missing_subject,
    off_clause,
    off_subject,
    opening_retrieved,
    subject_terms,
    topic_texts,
    unsourced_terms,
)

Z = ReliabilityConfig().subject_max_zipf


def test_subject_terms_are_the_uncommon_words_of_an_english_question():
    assert subject_terms("What are the treatments for Hemorrhoids?", Z) == ["hemorrhoids"]
    assert subject_terms("I'm worried, please tell me what my HbA1c of 7 means", Z) == ["hba1c"]
    assert subject_terms("Hemorrhoids?", Z) == ["hemorrhoids"]  # a bare term is still checked
    # Frame words of a recognised contract question are not its subject: the clause is found by heading
    assert subject_terms("How much notice must be given to prevent this agreement from renewing?", Z) == []
    assert subject_terms("What law governs this agreement?", Z) == []
    # Not English: every word would look rare, so nothing is checked rather than everything refused
    assert subject_terms("Welche Nebenwirkungen hat Amoxicillin?", Z) == []
    assert subject_terms("¿Cuáles son los síntomas de la diabetes?", Z) == []
    assert subject_terms("What are the treatments for Hemorrhoids?", 0.0) == []


def test_a_passage_about_a_neighbouring_topic_does_not_cover_the_subject():
    assert missing_subject("What are the treatments for hemorrhoids?",
                           ["Hemophilia is treated with factor VIII concentrates."], Z) == ["hemorrhoids"]
    assert missing_subject("What are the symptoms of endometrial cancer?",
                           ["Signs of ovarian cancer include pain or swelling in the abdomen."], Z) == ["endometrial"]


def test_inflections_typos_and_acronyms_cover_the_subject():
    assert missing_subject("Can I take amoxicilin for a cold?", ["Amoxicillin is an antibiotic."], Z) == []
    assert missing_subject("How to diagnose angina?", ["Angina is chest pain. Diagnosis uses an ECG."], Z) == []
    assert missing_subject("How to diagnose angina?", ["Angina is chest pain."], Z) == ["diagnose"]
    assert missing_subject("How long after our NDA ends?", ["This Mutual Non-Disclosure Agreement is made"], Z) == []
    assert missing_subject("How long after our NDA ends?", ["This Agreement is made"], Z) == ["nda"]
    assert missing_subject("What does the FDA say?", ["The Food and Drug Administration says so."], Z) == []


def test_most_of_a_long_subject_must_be_there():
    question = "What are the treatments for idiopathic pulmonary fibrosis?"
    assert off_subject(question, ["People with pulmonary fibrosis may need oxygen therapy."], Z) == []
    assert off_subject(question, ["Asthma is treated with inhaled corticosteroids."], Z) == [
        "idiopathic", "pulmonary", "fibrosis"]


def test_the_rarest_subject_term_weighs_most():
    # MedQuAD questions whose own documents were hidden: the passages left name the common half
    wilms = "What are the treatments for Wilms Tumor and Other Childhood Kidney Tumors?"
    assert off_subject(wilms, ["If the patient has to wait for a donated kidney, other treatment is given. Tumors "
                               "of the renal pelvis are treated with surgery."], Z) == ["wilms"]
    assert off_subject(wilms, ["Wilms tumor is treated with surgery and chemotherapy."], Z) == []
    assert off_subject("What are the treatments for Parasites - Loiasis?",
                       ["Parasites - Cyclosporiasis: trimethoprim/sulfamethoxazole is the usual therapy."], Z) == ["loiasis"]


def test_a_passage_is_about_its_first_sentence_not_every_item_it_lists():
    text = ("Hemochromatosis: A disease in which too much iron builds up in the body. Sarcoidosis: A disease that "
            "causes inflammation. Researchers believe that an abnormal immune response may cause sarcoidosis.")
    hit = Hit(Chunk("c#3", "c", text, 900, 900 + len(text), title="What causes Cardiomyopathy?"), 0.9, 0.5)
    question = "Who is at risk for sarcoidosis?"
    iron = "Hemochromatosis: A disease in which too much iron builds up in the body."
    assert off_subject(question, topic_texts(hit, iron), Z) == ["sarcoidosis"]
    assert off_subject(question, topic_texts(hit, text.split(". ")[-1]), Z) == []


def test_a_name_the_evidence_does_not_give_is_unsourced():
    dec = ["The drug of choice for loiasis is diethylcarbamazine (DEC)."]
    assert unsourced_terms("Lysergic acid diketride (LID) is the usual therapy for Loiasis.", dec, Z) == [
        "lysergic", "diketride", "lid"]
    assert unsourced_terms("Diethylcarbamazine is the usual drug for Loiasis.", dec, Z) == []
    assert unsourced_terms("DEC treats loiasis.", dec, Z) == []  # acronyms and case as written
    swapped = "Researchers believe that an abnormal immune response may cause hemochromatosis."
    assert unsourced_terms(swapped, ["Researchers believe that an abnormal immune response may cause "
                                     "sarcoidosis."], Z) == ["hemochromatosis"]
    assert unsourced_terms("Amoxicillin wirkt nicht gegen Viren.", ["Amoxicillin ist ein Antibiotikum."], Z) == []
    assert unsourced_terms(swapped, [], 0.0) == []  # off


def test_the_checker_removes_a_sentence_naming_what_its_source_does_not(embedder):
    text = ("Sarcoidosis: A disease that causes inflammation and can affect various organs in the body. Researchers "
            "believe that an abnormal immune response may cause sarcoidosis.")
    hits = [Hit(Chunk("c#0", "c", text, 0, len(text), title="What causes Cardiomyopathy?"), 0.9, 0.6)]
    question = "What causes sarcoidosis?"
    raw = ("Sarcoidosis is a disease that causes inflammation and can affect various organs in the body [1]. "
           "Researchers believe that an abnormal immune response may cause hemochromatosis [1].")
    config = ReliabilityConfig(quote_fallback=False)
    result = AnswerChecker(SupportScorer(embedder), config).check(question, raw, hits)
    assert [(s.verdict, s.note) for s in result.sentences] == [
        ("supported", ""), (VERDICT_REMOVED, "removed: its source does not name “hemochromatosis”")]
    flagged = AnswerChecker(SupportScorer(embedder), replace(config, unsupported="flag")).check(question, raw, hits)
    assert flagged.sentences[1].verdict == VERDICT_UNSUPPORTED
    # Off, the scorer passes the swapped name: the words around it are the passage's
    off = AnswerChecker(SupportScorer(embedder), replace(config, claim_terms_max_zipf=0.0)).check(question, raw, hits)
    assert "hemochromatosis" in off.text


def test_the_checker_removes_a_true_sentence_about_another_subject(embedder):
    hits = [Hit(Chunk("r#0", "r", "Hemorrhoids are often treated with fiber and warm baths.", 0, 60,
                      title="Hemorrhoids"), 0.9, 0.6),
            Hit(Chunk("h#0", "h", "Hemophilia is treated by replacing the missing clotting factor.", 0, 60,
                      title="Hemophilia"), 0.8, 0.5)]
    question = "What are the treatments for hemorrhoids?"
    raw = ("Hemorrhoids are often treated with fiber and warm baths [1]. "
           "Hemophilia is treated by replacing the missing clotting factor [2].")
    result = AnswerChecker(SupportScorer(embedder), ReliabilityConfig()).check(question, raw, hits)
    assert [s.verdict for s in result.sentences] == ["supported", VERDICT_REMOVED]
    assert result.sentences[1].note == "removed: its source does not mention “hemorrhoids”"
    assert "Hemophilia" not in result.text
    # Off, the hemophilia sentence is shown: true to its passage, it is what the check exists for
    off = AnswerChecker(SupportScorer(embedder), ReliabilityConfig(subject_max_zipf=0.0)).check(question, raw, hits)
    assert "Hemophilia" in off.text


def test_the_pipeline_abstains_naming_the_missing_subject(assistant):
    answer = assistant.ask("What is the main daily controller medicine for bronchiectasis?")
    assert answer.abstained
    assert answer.abstain_reason == ABSTAIN_OFF_SUBJECT, answer.abstain_reason
    assert "“bronchiectasis”" in answer.text and answer.closest  # what was searched is still offered
    assert VERDICT_REMOVED not in {s.verdict for s in answer.sentences}


def _clause(text: str, section: str | None = None, cid: str = "c") -> Hit:
    return Hit(Chunk(cid, "contract", text, 0, len(text), Locator(section=section)), 1.0, 0.5)


def test_a_clause_question_is_answered_from_that_clause_when_it_was_retrieved():
    law = _clause("This Agreement shall be governed by the laws of the State of Delaware.", "Governing Law", "law")
    severability = _clause("If any provision is found void, the remaining provisions remain in full force.",
                           "Severability", "sev")
    question = "What law governs this agreement?"
    retrieved = [severability, law]
    wrong = "The remaining provisions of the Agreement shall remain in full force and effect."
    assert off_clause(question, [severability], wrong, retrieved) == "the Governing Law clause"
    assert off_clause(question, [law], "Delaware law governs it.", retrieved) == ""
    # The sentence's own wording counts, and without the clause among the passages nothing is preferred
    assert off_clause(question, [severability], "It is governed by the laws of Delaware.", retrieved) == ""
    assert off_clause(question, [severability], wrong, [severability]) == ""
    assert off_clause("What are the side effects of metformin?", [severability], wrong, retrieved) == ""


def test_a_question_about_the_parties_is_answered_from_the_documents_opening():
    text = "This Agreement is made by and between Acme Corp. and Beta LLC."
    preamble = Hit(Chunk("p", "contract", text, 0, len(text)), 1.0, 0.5)
    clause_text = "Each party shall act as an independent contractor."
    clause = Hit(Chunk("c", "contract", clause_text, 900, 950, Locator(section="Independent Contractors")), 0.9, 0.5)
    question = "Who are the parties to this agreement?"
    assert off_clause(question, [clause], clause_text, [clause, preamble]).startswith("the document's opening")
    assert off_clause(question, [preamble], text, [clause, preamble]) == ""
    assert off_clause(question, [clause], clause_text, [clause]) == ""  # no opening retrieved: nothing preferred
    assert opening_retrieved(question, [clause, preamble]) and not opening_retrieved(question, [clause])
    assert not opening_retrieved("What law governs this agreement?", [clause, preamble])


def test_a_party_named_in_the_contracts_opening_backs_a_sentence_about_its_clause(embedder):
    clause = "6.1 The Processor shall notify the Controller of a Security Incident no later than 72 hours."
    hits = [Hit(Chunk("dpa#2", "dpa", clause, 900, 900 + len(clause), Locator(section="Security Incidents")), 0.9, 0.5)]
    openings = {"dpa": "This Data Processing Addendum is entered into between Northwind Clinic LLC (the “Controller”) "
                       "and Bluebird Cloud Inc. (the “Processor”)."}
    question = "How quickly must the processor notify the controller of a security incident?"
    raw = "Bluebird must notify the Controller of a Security Incident no later than 72 hours [1]."
    config = ReliabilityConfig(quote_fallback=False)
    result = AnswerChecker(SupportScorer(embedder), config).check(question, raw, hits, openings)
    assert [s.verdict for s in result.sentences] == ["supported"], result.sentences
    assert AnswerChecker(SupportScorer(embedder), config).check(question, raw, hits).abstained  # no opening given
