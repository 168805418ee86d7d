from assistant.core.text import content_words, numbers, sentence_spans, split_sentences


def test_abbreviations_decimals_and_citations_do_not_split():
    text = "Dr. Smith uses e.g. metformin at 6.5% [1]. It works [2, 3]. Does it?"
    assert split_sentences(text) == ["Dr. Smith uses e.g. metformin at 6.5% [1].", "It works [2, 3].", "Does it?"]


def test_headings_and_list_items_are_their_own_sentences():
    text = "# Title\nFirst line.\n- item one\n- item two. Tail\n\n2.1 Clause text."
    assert split_sentences(text) == ["# Title", "First line.", "- item one", "- item two.", "Tail", "2.1 Clause text."]


def test_spans_point_into_the_text():
    text = "  One.  Two!\nThree?  "
    assert [text[s:e] for s, e in sentence_spans(text)] == ["One.", "Two!", "Three?"]


def test_content_words_and_numbers():
    assert content_words("The invoices are payable within 45 days [2].") == ["invoic", "payable", "45", "day"]
    assert numbers("pay $2,775 within 45 days; HbA1c 6.5%") == {"2775", "45", "6.5%", "1"}


def test_one_question_rule_for_every_front_end():
    import pytest

    from assistant.core.errors import AssistantError
    from assistant.core.text import MAX_QUESTION_CHARS, check_question

    assert check_question("  What   is\nmetformin? ") == "What is metformin?"
    with pytest.raises(AssistantError, match="the query is empty; type a query"):
        check_question(" \n ", "query")
    with pytest.raises(AssistantError, match=f"over the limit of {MAX_QUESTION_CHARS}"):
        check_question("x" * (MAX_QUESTION_CHARS + 1))
