"""The API's follow-ups: the same rules as the page's (assistant/followup.py), replayed from the user's
turns alone."""

import pytest

from assistant.followup import question_from_turns


def test_a_follow_up_is_asked_with_the_topic_question():
    turns = ["What is metformin used for?", "And for children?"]
    assert question_from_turns(turns) == "What is metformin used for? — And for children?"


def test_chained_follow_ups_attach_to_the_topic_not_to_each_other():
    turns = ["What is metformin used for?", "And for children?", "What about in pregnancy?"]
    assert question_from_turns(turns) == "What is metformin used for? — What about in pregnancy?"


def test_a_self_contained_question_is_asked_alone():
    turns = ["What is metformin used for?", "How long must invoices be paid within under the services agreement?"]
    assert question_from_turns(turns) == turns[-1]
    assert question_from_turns(["  Is   it safe? "]) == "Is it safe?"  # nothing earlier to lean on


def test_no_turns_is_an_error():
    with pytest.raises(ValueError, match="at least one non-empty user message"):
        question_from_turns(["", "  "])


def test_the_assistant_replies_name_the_subject_a_pronoun_points_to():
    turns = ["Which medicine is used first for type 2 diabetes?", "Who should not take it?"]
    answers = ["Metformin is usually the first medicine for type 2 diabetes [1]."]
    assert question_from_turns(turns, answers) == "Who should not take Metformin?"
    # without the reply, the follow-up carries the topic question instead
    assert question_from_turns(turns) == f"{turns[0]} — {turns[1]}"
