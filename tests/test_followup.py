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
    return ("a", list(titles))


def test_a_pronoun_is_replaced_by_the_subject_the_topic_named_or_cited():
    topic = "Is there a rare but dangerous side effect of metformin?"
    subject = subject_of(topic, *_answer("Metformin", "Type 2 Diabetes"))
    assert subject == "Metformin"
    assert contextual_question("and who should not take it?", topic, subject) == \
        ("and who should not take Metformin?", topic)
    assert contextual_question("What about its dose?", topic, subject)[0] == "What about Metformin's dose?"
    # no pronoun: the follow-up keeps the topic question's aspect too
    assert contextual_question("and for children?", topic, subject)[0] == f"{topic} — and for children?"
    # not named, but every citation is one document's: that document is the subject
    assert subject_of("How long must invoices be paid within?", *_answer("Master Services Agreement")) == \
        "Master Services Agreement"
    assert subject_of("What is asthma?", *_answer("Metformin", "Hypertension")) is None


def test_a_question_asking_for_a_name_makes_its_answer_the_subject():
    topic = "Which medicine is used first for type 2 diabetes?"
    answer = "Metformin is usually the first medicine prescribed for type 2 diabetes [1]."
    subject = subject_of(topic, answer, ["Type 2 Diabetes"])
    assert subject == "Metformin"  # not the document the answer cited
    assert contextual_question("Who should not take it?", topic, subject)[0] == "Who should not take Metformin?"
    assert subject_of(topic, "Metformin [1].", ["Type 2 Diabetes"]) == "Metformin"  # the name alone
    # no new name at the answer's head: no subject (the cited leaflet is where the name was, not the name)
    assert subject_of(topic, "The first medicine is usually metformin [1].", ["Type 2 Diabetes"]) is None
    assert subject_of("Who may terminate the agreement?", "Either party may terminate it [1].", []) is None
    # a question that names its topic ("what is X") is not asking for a name
    assert subject_of("What is metformin used for?", "Sugar is lowered [1].", ["Metformin"]) == "Metformin"
