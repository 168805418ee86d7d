"""Issue 17's regression suite: the wrong answers new users saw with a *supported* or *repaired* badge,
rebuilt on the demo corpus and on shared MedQuAD / CUAD text, each checked by the shipped verifier
as the pipeline checks it (AnswerChecker over the retrieved passages). No wrong sentence may come
out backed; and of the correct paraphrases and quotes, at least 90 % must pass."""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from assistant.core.settings import ReliabilityConfig
from assistant.core.types import BACKED_VERDICTS, Chunk, Hit, Locator
from assistant.reliability import AnswerChecker, Verifier
from tests.conftest import shared_data

CORPUS = Path(__file__).resolve().parents[2] / "assistant" / "demo" / "corpus"


class Section(str):
    """A demo document's section as one passage, knowing its document and heading, as a chunk does."""

    doc: str
    heading: str


def section(doc: str, heading: str) -> Section:
    """The text under a '## heading' of a demo document, as one passage (what a chunk holds)."""
    text = (CORPUS / doc).read_text(encoding="utf-8")
    m = re.search(rf"^## {re.escape(heading)}\n(.*?)(?=^## |\Z)", text, re.S | re.M)
    assert m, f"{doc} has no section {heading!r}"
    passage = Section(" ".join(m.group(1).split()))
    passage.doc, passage.heading = doc, heading
    return passage


def opening(doc: str) -> str:
    text = (CORPUS / doc).read_text(encoding="utf-8")
    return " ".join(text.split("\n## ")[0].splitlines()[2:]).strip()


def hits(*passages: str) -> list[Hit]:
    """As retrieval gives them: a demo section with its document's title and its heading."""
    return [Hit(Chunk(f"{p.doc}#{i}", p.doc, p, 0, len(p), Locator(section=p.heading), title=_title(p.doc))
                if isinstance(p, Section) else Chunk(f"p{i}#0", f"p{i}", p, 0, len(p), title=f"p{i}"),
                0.9 - 0.1 * i, 0.8 - 0.1 * i)
            for i, p in enumerate(passages)]


def _title(doc: str) -> str:
    return (CORPUS / doc).read_text(encoding="utf-8").splitlines()[0].lstrip("# ").strip()


@pytest.fixture(scope="module")
def checker(settings, embedder):
    verifier = Verifier(settings, embedder=embedder)
    verifier.warm_up()
    return AnswerChecker(verifier, ReliabilityConfig())


def backed(checker, question: str, raw: str, passages: list[str]) -> list[str]:
    # The pipeline hands the checker each cited document's opening (pipeline._openings)
    openings = {p.doc: opening(p.doc) for p in passages if isinstance(p, Section)}
    result = checker.check(question, raw, hits(*passages), openings)
    return [s.text for s in result.sentences if s.verdict in BACKED_VERDICTS]


BP = "Above what reading is blood pressure considered high under the American guideline?"
DEMO_WRONG = [
    # (case, question, passages, wrong answer, a phrase no backed sentence may hold)
    ("wrong threshold", BP, [section("health/hypertension.md", "Definitions"),
                             section("health/hypertension.md", "When to Seek Care")], "180/120 mmHg [2].", "180/120"),
    ("non-answer", "Which kidney test result means a person must not use metformin?",
     [section("health/metformin.md", "Kidney Function and Precautions")],
     "The source number is, which confirms that the person's kidneys are functioning properly [1].", "source number"),
    ("reversed advice", "Will amoxicillin help me get over a cold?", [section("health/amoxicillin.md", "What Amoxicillin Does Not Treat")],
     "Amoxicillin works well against viral infections such as the common cold [1].", "works well"),
    ("invented name", "What is the main daily controller medicine that reduces airway inflammation in asthma?",
     [section("health/asthma.md", "Treatment")],
     "Alluparaben is the main daily controller medicine for asthma [1].", "alluparaben"),
    ("question echo", "What causes type 2 diabetes?", [section("health/type-2-diabetes.md", "Overview")],
     "The answer to the question 'What causes type 2 diabetes' is given in the source [1].", "answer to the question"),
    ("author non-answer", "How long does the customer have to pay an invoice?",
     [section("legal/services-agreement.md", "3. Fees and Payment")],
     "The author provides a detailed answer [1].", "author"),
    ("preamble for a clause question", "Which law governs the master services agreement?",
     [opening("legal/services-agreement.md"), section("legal/services-agreement.md", "7. Governing Law")],
     opening("legal/services-agreement.md").split(". ")[0] + " [1].", "entered into on"),
    ("invented statute", "Which law governs the master services agreement?",
     [section("legal/services-agreement.md", "7. Governing Law")],
     "The agreement is governed by the FTC Commercial Off-Hand Deal Act [1].", "off-hand"),
    ("wrong number", "How long does the customer have to pay an invoice under the master services agreement?",
     [section("legal/services-agreement.md", "3. Fees and Payment")],
     "The customer must pay each invoice within 90 days of receipt [1].", "90 days"),
]


# Wrong answers the verifier still passes: "too little" for "too much" copies the passage's wording.
# It needs an entailment model that reads the relation (issue 17); strict, so the day it is caught the
# mark must go. (Caught now: the bare threshold true of another question and the preamble for a clause
# question by the question-subject and clause checks; the invented names by the claim-terms check,
# reliability/coverage.unsourced_terms; the non-answer by the same check, as it words "confirms",
# which its evidence sentence does not.)
MISSED = pytest.mark.xfail(strict=True, reason="needs the trained entailment cross-encoder (issue 17)")
MISSED_NOW: set[str] = set()


@pytest.mark.parametrize("case,question,passages,raw,forbidden", [
    pytest.param(*c, marks=MISSED) if c[0] in MISSED_NOW else c for c in DEMO_WRONG], ids=[c[0] for c in DEMO_WRONG])
def test_a_wrong_answer_on_the_demo_corpus_is_never_shown_backed(checker, case, question, passages, raw, forbidden):
    shown = backed(checker, question, raw, passages)
    assert not [s for s in shown if forbidden.lower() in s.lower()], (case, shown)


DEMO_RIGHT = [
    (BP, [section("health/hypertension.md", "Definitions")],
     "Under the American guideline, blood pressure of 130/80 mmHg or higher is considered high [1]."),
    (BP, [section("health/hypertension.md", "Definitions")],
     "Under the 2017 American College of Cardiology and American Heart Association guideline, hypertension in "
     "adults is defined as a reading of 130/80 mmHg or higher [1]."),
    ("Will amoxicillin help me get over a cold?", [section("health/amoxicillin.md", "What Amoxicillin Does Not Treat")],
     "No, amoxicillin does not work against viral infections such as the common cold [1]."),
    ("What is the main daily controller medicine that reduces airway inflammation in asthma?",
     [section("health/asthma.md", "Treatment")],
     "Inhaled corticosteroids are the main long-term controller medicine for reducing airway inflammation [1]."),
    ("How soon after getting flu symptoms should antiviral treatment be started to work best?",
     [section("health/seasonal-influenza.md", "Treatment")],
     "Antivirals work best when they are started within 48 hours of the first symptoms [1]."),
    ("How long do we have to keep the other side's information secret after our NDA ends?",
     [section("legal/mutual-nda.md", "4. Term and Survival")],
     "The confidentiality obligations survive for three years after the NDA expires or is terminated [1]."),
    ("How long does the customer have to pay an invoice under the master services agreement?",
     [section("legal/services-agreement.md", "3. Fees and Payment")],
     "The Customer must pay each undisputed invoice within 45 days of receipt [1]."),
    ("How quickly must Bluebird tell the clinic about a personal data breach?",
     [section("legal/data-processing-addendum.md", "6. Security Incidents")],
     "The Processor must notify the Controller no later than 72 hours after becoming aware of a Security "
     "Incident [1]."),
    ("How much do I have to pay as a deposit before moving into the apartment?",
     [section("legal/residential-lease.md", "4. Security Deposit")],
     "The Tenant shall pay a security deposit of $2,775 before moving into the Premises [1]."),
    ("How many people at the clinic are allowed to use the scheduling software?",
     [section("legal/software-license.md", "2. License Grant")], "Up to 25 Named Users may use the Software [1]."),
    ("What HbA1c result is used as the cutoff for diagnosing diabetes?",
     [section("health/type-2-diabetes.md", "Diagnosis")],
     "An HbA1c of 6.5% or higher, confirmed by repeat testing, is the usual diagnostic threshold [1]."),
]


def test_correct_paraphrases_and_quotes_on_the_demo_corpus_pass(checker):
    passed = [bool(backed(checker, q, raw, passages)) for q, passages, raw in DEMO_RIGHT]
    assert sum(passed) >= 0.9 * len(passed), [raw for (_, _, raw), ok in zip(DEMO_RIGHT, passed) if not ok]


def _medquad(relative: str, question_start: str) -> str:
    doc = ET.parse(shared_data("medquad") / relative).getroot()
    for qa in doc.iter("QAPair"):
        if (qa.findtext("Question") or "").startswith(question_start):
            return " ".join((qa.findtext("Answer") or "").split())[:900]
    raise AssertionError(f"{relative}: no question starting {question_start!r}")


MEDQUAD_WRONG = [
    # (case, file, question the answer is under, question asked, wrong answer, phrase no backed sentence may hold)
    pytest.param("invented drug", "7_SeniorHealth_QA/0000028.xml", "What causes Gout", "What causes gout?",
                 "Gout is caused by the drug alluparaben building up in the joints [1].", "alluparaben"),
    ("reversed cause", "7_SeniorHealth_QA/0000018.xml", "What causes Dry Mouth", "What causes dry mouth?",
     "No. In fact, dry mouth is never caused by medicines [1].", "never caused"),
    ("question echo", "7_SeniorHealth_QA/0000018.xml", "What causes Dry Mouth", "What causes dry mouth?",
     "The answer to the question 'What causes Dry Mouth [1]?' is in the source.", "answer to the question"),
    pytest.param("reversed amount", "7_SeniorHealth_QA/0000028.xml", "What causes Gout", "What causes gout?",
                 "Most people with gout have too little uric acid in their blood [1].", "too little", marks=MISSED),
]


@pytest.mark.parametrize("case,file,under,question,raw,forbidden", MEDQUAD_WRONG,
                         ids=[(c.values if hasattr(c, "values") else c)[0] for c in MEDQUAD_WRONG])
def test_wrong_answers_on_shared_medquad_text_are_never_shown_backed(checker, case, file, under, question, raw,
                                                                       forbidden):
    shown = backed(checker, question, raw, [_medquad(file, under)])
    assert not [s for s in shown if forbidden.lower() in s.lower()], (case, shown)


def test_right_answers_on_shared_medquad_text_pass(checker):
    gout = _medquad("7_SeniorHealth_QA/0000028.xml", "What causes Gout")
    dry = _medquad("7_SeniorHealth_QA/0000018.xml", "What causes Dry Mouth")
    right = [("What causes gout?", gout, "Most people with gout have too much uric acid in their blood [1]."),
             ("What causes dry mouth?", dry, "Many medicines can cause dry mouth by making the salivary glands "
                                             "produce less saliva [1].")]
    assert all(backed(checker, q, raw, [p]) for q, p, raw in right)


@pytest.fixture(scope="module")
def governing_law():
    """(preamble, passage around a Delaware governing-law clause, the clause) of a shared CUAD contract."""
    root = shared_data("cuad")
    with open(root / "master_clauses.csv", encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if "Delaware" in r["Governing Law-Answer"])
    name = Path(row["Filename"]).stem
    text = " ".join((root / "full_contract_txt" / f"{name}.txt").read_text(encoding="utf-8").split())
    clause = " ".join(next(s for s in eval_cells(row["Governing Law"]) if "Delaware" in s).split())
    start = text.find(clause)
    assert start >= 0
    return text[:400], text[max(0, start - 300): start + len(clause) + 300], clause


LAW = "Which state's law governs this agreement?"


def test_a_cuad_preamble_is_not_the_governing_law(checker, governing_law):
    # The clause check removes it (the governing-law clause was retrieved too); the quote that stands in
    # is that clause.
    preamble, passage, _ = governing_law
    shown = backed(checker, LAW, f"{preamble.split('. ')[0]} [1].", [preamble, passage])
    assert shown and all("Delaware" in s for s in shown), shown


def test_a_wrong_state_is_not_the_governing_law_and_the_clause_is(checker, governing_law):
    _, passage, clause = governing_law
    assert not [s for s in backed(checker, LAW, f"{clause.replace('Delaware', 'Nevada')} [1].", [passage])
                if "Nevada" in s]
    assert backed(checker, LAW, f"{clause} [1].", [passage])


def eval_cells(cell: str) -> list[str]:
    from assistant.reliability.constructed import eval_list

    return eval_list(cell)
