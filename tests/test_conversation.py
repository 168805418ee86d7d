"""Follow-up questions resolved deterministically from the user's earlier turns."""

import pytest

from assistant.conversation import contextual_question, is_follow_up


def test_a_follow_up_is_asked_with_the_previous_question():
    turns = ["What is metformin used for?", "And what are its side effects?"]
    assert contextual_question(turns) == "What is metformin used for? And what are its side effects?"


def test_a_self_contained_question_is_asked_alone():
    turns = ["What is metformin used for?", "How long must invoices be paid within under the services agreement?"]
    assert contextual_question(turns) == turns[-1]
    assert contextual_question(["Is it safe?"]) == "Is it safe?"  # nothing earlier to lean on


@pytest.mark.parametrize("question, expected", [
    ("what about children?", True), ("Is that covered?", True), ("Does warfarin interact with aspirin?", False),
    ("Is it " + "really " * 20 + "safe?", False), ("", False)])
def test_follow_up_detection(question, expected):
    assert is_follow_up(question) is expected


def test_no_turns_is_an_error():
    with pytest.raises(ValueError, match="at least one user message"):
        contextual_question([])
