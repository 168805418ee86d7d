"""Issue 17 end to end: on the demo questions, no sentence is shown as *supported* or *repaired* unless it
answers the question correctly. What counts as correct is written here by hand, per question: a backed
sentence must state one of its facts (and none of the wrong ones the small generator is known to give)."""

from __future__ import annotations

import pytest

from assistant.core.types import BACKED_VERDICTS

# question id → (facts one of which a backed sentence must state, phrases that make it wrong)
EXPECTED = {
    "q1": (["6.5%"], ["5.7%", "126"]),
    "q2": (["130/80"], ["180/120", "140/90", "120/80"]),
    "q3": (["inhaled corticosteroid"], ["albuterol", "short-acting", "reliever"]),
    "q4": (["lactic acidosis"], ["hypoglycaemia", "hypoglycemia"]),
    "q5": (["does not work against viral", "not work against viral", "not treat", "does not help", "no effect on"],
           ["helps with the cold", "treats the cold"]),
    "q6": (["48 hours"], ["72 hours", "24 hours"]),
    "q7": (["three years", "3 years"], ["two years", "five years"]),
    "q8": (["45 days"], ["30 days", "60 days", "90 days"]),
    "q9": (["72 hours"], ["48 hours", "24 hours"]),
    "q10": (["$2,775", "2,775"], []),
    "q11": (["20 days"], ["10 days", "15 days", "25 days"]),
    "q12": (["25 named users", "25 named user", "up to 25"], []),
}


@pytest.mark.slow
# q2 used to show the 140/90 threshold "other guidelines" use, a quote true to its passage but not the
# answer; quote candidates are now ranked by the question's own words too ("American", "guideline",
# "reading"). The question-subject check took out the 180/120 crisis threshold q2 showed before that, and
# the clause check the NDA preamble (q9) and the offer's position (q11) quoted for DPA and vacation questions.
def test_no_demo_answer_is_backed_unless_it_is_right(assistant, demo_questions):
    answered, wrong = 0, []
    for q in demo_questions:
        if q["id"] not in EXPECTED:
            continue
        facts, forbidden = EXPECTED[q["id"]]
        answer = assistant.ask(q["question"])
        shown = [s.text for s in answer.sentences if s.verdict in BACKED_VERDICTS]
        for text in shown:
            low = text.lower()
            if not any(f.lower() in low for f in facts) or any(f.lower() in low for f in forbidden):
                wrong.append((q["id"], text))
        answered += bool(shown)
    assert not wrong, wrong
    # Abstaining on everything would pass the check above; most demo answers are in the corpus.
    assert answered >= 8, answered
