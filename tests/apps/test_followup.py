from apps.followup import contextual_question, is_follow_up

TOPIC = "What is the usual dose of metformin?"


def test_follow_ups_are_asked_with_the_topic_question():
    assert contextual_question("and for children?", TOPIC) == (f"{TOPIC} — and for children?", TOPIC)
    assert contextual_question("Is it safe in pregnancy?", TOPIC)[0] == f"{TOPIC} — Is it safe in pregnancy?"
    assert is_follow_up("What about warfarin?")


def test_questions_that_name_their_topic_start_a_new_one():
    question = "Who may terminate the services agreement early?"
    assert contextual_question(question, TOPIC) == (question, question)
    assert contextual_question("and for children?", None) == ("and for children?", "and for children?")


def test_chained_follow_ups_attach_to_the_topic_not_to_each_other():
    asked, topic = contextual_question("and for children?", TOPIC)
    asked, topic = contextual_question("and  for adults over 80?", topic)
    assert (asked, topic) == (f"{TOPIC} — and for adults over 80?", TOPIC)
