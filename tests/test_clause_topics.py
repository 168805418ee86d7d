"""Contract questions find the clause topic they ask for, and a passage is matched by its heading or,
in a contract without headings, by the clause's own wording."""

from __future__ import annotations

import pytest

from assistant.core.types import Chunk, Locator
from assistant.retrieval.clause_topics import clause_topic


@pytest.mark.parametrize("question, topic", [
    ("What law governs this agreement?", "Governing Law"),
    ("Which state's laws apply to the distribution agreement?", "Governing Law"),
    ("How much notice must be given to prevent this agreement from renewing?", "Renewal"),
    ("When does this agreement expire?", "Expiration Date"),
    ("Can either party terminate without cause?", "Termination For Convenience"),
    ("Can I assign the contract to my subsidiary?", "Anti-Assignment"),
    ("Is liability capped?", "Cap On Liability"),
    ("How much paid vacation comes with the offer?", "Leave and Benefits"),  # not Payment, for "paid"
    ("How quickly must the processor tell us about a personal data breach?", "Security Incidents"),
    ("How many people are allowed to use the software?", "License Grant"),
    ("Can a party terminate for material breach?", None),  # a breach of contract, not of data
    ("Who are the parties to this agreement?", None),  # the opening passage answers that (opening_weight)
    ("What are the side effects of metformin?", None),
])
def test_questions_name_their_clause_topic(question, topic):
    found = clause_topic(question)
    assert (found.name if found else None) == topic


def chunk(text: str, section: str | None = None) -> Chunk:
    return Chunk(id="c", doc_id="d", text=text, start=0, end=len(text), locator=Locator(clause="14.3", section=section))


def test_a_passage_matches_by_heading_synonym_or_by_clause_wording():
    law = clause_topic("What law governs this agreement?")
    assert law.matches(chunk("This Agreement shall be interpreted under ...", section="Choice of Law"))
    assert law.matches(chunk("This Agreement is governed by the laws of the State of Delaware."))
    assert not law.matches(chunk("Each party shall comply with all applicable laws.", section="Compliance"))
    # "law" as a whole word of the heading, not inside another word
    assert not law.matches(chunk("The parties ...", section="Lawful Conduct"))


@pytest.mark.parametrize("text", [
    "14. General Provisions. (a) This Agreement is governed in all respects by the laws of the State of Delaware.",
    "15.1 Generally. This Distributor Agreement shall be exclusively governed, construed, enforced and controlled "
    "by the laws of the United States of America and of the State of Texas.",
    "ENTIRE AGREEMENT AND GOVERNING LAW AND JURISDICTION This agreement supersedes all oral representations.",
    "The laws of the State of New York shall govern this Agreement.",
])
def test_governing_law_is_recognised_in_the_ways_cuad_contracts_word_it(text):
    law = clause_topic("What law governs this agreement?")
    assert law.matches(Chunk("c", "d", text, 0, len(text), Locator(section="Miscellaneous")))
    assert law.worded_in(text)


def test_complying_with_applicable_laws_is_not_the_governing_law_clause():
    law = clause_topic("What law governs this agreement?")
    for text in ("In performing this Agreement, the parties shall comply with all applicable laws and regulations.",
                 "Acme Inc., a corporation organized under the laws of the State of Delaware, and Beta LLC"):
        assert not law.matches(Chunk("c", "d", text, 0, len(text), Locator(section="Compliance"))), text
        assert not law.worded_in(text), text
