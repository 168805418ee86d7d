"""assistant/retrieval/retriever/query.py: cleanup of messy consumer questions and the BM25 focus terms."""

from __future__ import annotations

from assistant.retrieval.query import clean_query, focus_query, focus_terms, identifiers

NDC_MAIL = "Re: NDC# 0115-0672-50 Hello, I was wondering if this drug is gluten free? Thanks, Mary Smith"


def test_mail_prefix_identifier_greeting_and_signature_are_removed():
    assert clean_query(NDC_MAIL) == "I was wondering if this drug is gluten free?"


def test_focus_terms_keep_content_words_and_the_code_for_bm25():
    # "0115" and "0672" are specific enough to match a label quoting the code; "50" is not.
    assert focus_terms(NDC_MAIL) == ["drug", "gluten", "free", "0115", "0672"]
    assert identifiers(NDC_MAIL) == ["0115-0672-50"]


def test_contact_details_and_sign_off_go():
    text = ("Hi there! My son has asthma. Can he take amoxicillin? Thank you so much, John Doe "
            "555-123-4567 john@example.com")
    assert clean_query(text) == "My son has asthma. Can he take amoxicillin?"
    assert identifiers(text) == []


def test_template_artefacts_are_tidied():
    assert clean_query("What is (are) Acromegaly ?") == "What is Acromegaly?"
    assert focus_terms("What is (are) Acromegaly ?") == ["acromegaly"]


def test_a_query_that_is_only_a_code_is_kept():
    assert clean_query("ZX-4471-B") == "ZX-4471-B"
    assert focus_terms("ZX-4471-B") == ["zx-4471-b", "4471"]


def test_medical_names_with_digits_are_not_identifiers():
    text = "Dear Dr. Smith, is the COVID-19 vaccine safe with a BRCA1 mutation? Sent from my iPhone"
    assert clean_query(text) == "is the COVID-19 vaccine safe with a BRCA1 mutation?"
    assert identifiers(text) == []


def test_mid_sentence_words_that_look_like_sign_offs_stay():
    assert clean_query("What should I eat with regards to diabetes") == "What should I eat with regards to diabetes"
    assert clean_query("Thank you for explaining, is it safe?") == "Thank you for explaining, is it safe?"


def test_greeting_without_punctuation_drops_only_the_greeting_word():
    assert clean_query("Hello I have a question about metformin") == "I have a question about metformin"
    assert focus_terms("Hello I have a question about metformin") == ["metformin"]
    assert clean_query("hello") == "hello"


def test_labelled_identifiers():
    assert identifiers("Lot No. A1234 recalled?") == ["A1234"]
    assert clean_query("Lot No. A1234 recalled?") == "recalled?"
    # "order" is a label only with a marker: "minimum order size" is content.
    assert clean_query("minimum order size per month") == "minimum order size per month"


def test_legal_framing_words_are_not_focus_terms():
    text = "Is there a clause granting one party a right of first refusal under the contract?"
    assert focus_terms(text) == ["granting", "one", "right", "first", "refusal"]


def test_focus_query_pairs_the_two_views():
    f = focus_query("Hi, what causes gout?")
    assert (f.dense, f.sparse) == ("what causes gout?", "causes gout")


def test_title_focus_splits_topic_from_what_is_asked():
    from assistant.retrieval.query import title_focus

    f = title_focus("What are the symptoms of Age-related Macular Degeneration ?",
                    ["Age-related Macular Degeneration", "Macular Degeneration", "Anxiety Disorders"])
    # The longest named title wins; the shorter one inside it is not counted again.
    assert f.titles == frozenset({"age related macular degeneration"})
    assert (f.residual, f.intent) == ("What are the symptoms", ("symptoms", "signs"))  # + aspect words


def test_title_focus_without_anything_beyond_the_topic_has_no_intent():
    from assistant.retrieval.query import title_focus

    assert title_focus("What is Acromegaly?", ["Acromegaly"]).intent == ()
    two = title_focus("Can I take metformin with type 2 diabetes?", ["Metformin", "Type 2 diabetes", "The"])
    assert two.titles == frozenset({"metformin", "type 2 diabetes"}) and two.intent == ("take",)
    none = title_focus("Which law governs?", ["", "Adams Golf 2005"])
    assert none == type(none)(frozenset(), "Which law governs?", ())


def test_questions_about_the_document_itself_are_recognised():
    from assistant.retrieval.query import asks_about_document

    about = ["The name of the contract", "Who are the parties to this agreement?",
             "The two or more parties who signed the contract", "When was the lease signed?",
             "What is the effective date?", "The date when the contract is effective",
             "When does this agreement take effect?"]
    other = ["On what date will the contract's initial term expire?", "What is the name of the drug?",
             "Can a party terminate this contract without cause?", "What are the symptoms of diabetes?",
             "Is consent required if the contract is assigned to a third party?", ""]
    assert [q for q in about if not asks_about_document(q)] == []
    assert [q for q in other if asks_about_document(q)] == []


def test_title_focus_intent_carries_the_aspect_words():
    from assistant.retrieval.query import aspect_terms, title_focus

    focus = title_focus("How to diagnose Breast Cancer ?", ["Breast Cancer", "Glaucoma"])
    assert focus.titles == frozenset({"breast cancer"}) and focus.residual == "How to diagnose"
    assert {"diagnose", "tests", "screening"} <= set(focus.intent)
    assert focus.intent_text.startswith("How to diagnose ") and "exam" in focus.intent_text
    assert aspect_terms("What is the outlook") == ["outlook", "prognosis", "survival"]
    assert aspect_terms("What is") == []
    # A question that is only its topic asks nothing more: no second look, no aspect words.
    assert title_focus("What is (are) Glaucoma ?", ["Glaucoma"]).intent == ()
