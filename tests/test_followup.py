from assistant.followup import contextual_question, is_follow_up, subject_of

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


def _answer(*titles):
    from assistant.core.types import Answer, Chunk, Citation

    citations = [Citation(n, Chunk(f"c{n}", f"d{n}", "text", 0, 4, title=t)) for n, t in enumerate(titles, 1)]
    return Answer("q", "a", citations, [], False, 0.5)


def test_a_pronoun_is_replaced_by_the_subject_the_topic_named_or_cited():
    topic = "Is there a rare but dangerous side effect of metformin?"
    subject = subject_of(topic, _answer("Metformin", "Type 2 Diabetes"))
    assert subject == "Metformin"
    assert contextual_question("and who should not take it?", topic, subject) == \
        ("and who should not take Metformin?", topic)
    assert contextual_question("What about its dose?", topic, subject)[0] == "What about Metformin's dose?"
    # no pronoun: the follow-up keeps the topic question's aspect too
    assert contextual_question("and for children?", topic, subject)[0] == f"{topic} — and for children?"
    # not named, but every citation is one document's: that document is the subject
    assert subject_of("How long must invoices be paid within?", _answer("Master Services Agreement")) == \
        "Master Services Agreement"
    assert subject_of("What is asthma?", _answer("Metformin", "Hypertension")) is None
