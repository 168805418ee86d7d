"""Streamed answers are cut where the project's sentence splitter cuts, and join back exactly."""

from assistant.apps.api import sentence_pieces


def test_pieces_follow_sentences_and_join_back_to_the_text():
    text = "Take 2.5 mg, e.g. at night [1]. Then stop.  Done"
    assert sentence_pieces(text) == ["Take 2.5 mg, e.g. at night [1].", " Then stop.", "  Done"]
    assert "".join(sentence_pieces(text)) == text and sentence_pieces("") == []
