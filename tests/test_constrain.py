"""The citation constraint on the bundled tokenizer: scores for the next token are shaped as the answer
format requires (every sentence cited with a valid [n], at most three sentences), and left alone
otherwise."""

from __future__ import annotations

import pytest
import torch

from assistant.generation.adapters.base import base_path
from assistant.generation.constrain import CitationConstraint
from assistant.generation.prompting import NOT_IN_SOURCES
from assistant.reliability.checks import _claims


@pytest.fixture(scope="module")
def tok():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_path())


def ids(tok, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def one(tok, piece: str) -> int:
    found = ids(tok, piece)
    assert len(found) == 1, f"{piece!r} is not one token here: {found}"
    return found[0]


def prefer(tok, piece: str | int) -> torch.Tensor:
    """Scores whose argmax is `piece` (a token's text or an id), every other token a little lower."""
    row = torch.zeros(1, len(tok))
    row[0, piece if isinstance(piece, int) else one(tok, piece)] = 10.0
    return row


def chosen(tok, constraint, text: str, piece) -> str:
    return tok.decode([int(constraint.apply(prefer(tok, piece), ids(tok, text)).argmax(-1))])


def test_an_uncited_sentence_end_becomes_a_marker(tok):
    c = CitationConstraint(tok, passages=3, eos_ids=(tok.eos_token_id,))
    assert chosen(tok, c, "Metformin is the first medicine for type 2 diabetes", ".") == " ["
    # The end of the answer counts as a sentence end too.
    assert chosen(tok, c, "Metformin is the first medicine for type 2 diabetes", tok.eos_token_id) == " ["


def test_inside_a_marker_only_valid_numbers_follow(tok):
    c = CitationConstraint(tok, passages=2, eos_ids=(tok.eos_token_id,))
    masked = c.apply(prefer(tok, "7"), ids(tok, "Metformin is the first medicine ["))
    allowed = {tok.decode([i]) for i in torch.nonzero(masked[0] > float("-inf")).flatten().tolist()}
    assert allowed == {"1", "2"}
    after = c.apply(prefer(tok, " and"), ids(tok, "Metformin is the first medicine [2"))
    allowed = {tok.decode([i]) for i in torch.nonzero(after[0] > float("-inf")).flatten().tolist()}
    assert "]." in allowed and "," in allowed and " and" not in allowed
    assert not ({str(d) for d in range(10)} & allowed)  # [2x] would exceed 2 passages


def test_a_cited_sentence_ends_freely_and_three_end_the_answer(tok):
    c = CitationConstraint(tok, passages=4, eos_ids=(tok.eos_token_id,))
    assert chosen(tok, c, "Metformin is the first medicine [1]", ".") == "."
    three = "One claim is made here [1]. Another claim is made here [2]. A third claim comes here [3]."
    assert chosen(tok, c, three, " The") == tok.decode([tok.eos_token_id])


def test_refusals_short_lead_ins_and_abbreviations_are_left_alone(tok):
    c = CitationConstraint(tok, passages=4, eos_ids=(tok.eos_token_id,))
    assert chosen(tok, c, NOT_IN_SOURCES[:-1], ".") == "."
    assert chosen(tok, c, "Yes", ".") == "."
    assert chosen(tok, c, "It lowers the risk of P.A", ".") == "."
    assert chosen(tok, c, "It lowers the risk of peripheral artery disease (P", ".") == "."


def test_a_decimal_point_survives_and_a_number_ending_a_sentence_is_cited_after_it(tok):
    c = CitationConstraint(tok, passages=4, eos_ids=(tok.eos_token_id,))
    assert chosen(tok, c, "The HbA1c cutoff is 6", ".") == "."  # might be 6.5
    assert chosen(tok, c, "The HbA1c cutoff is 6.", "5") == "5"
    assert chosen(tok, c, "The HbA1c cutoff is 6.", " It") == " ["
    # … and the checker reads that marker as the previous sentence's.
    claims = _claims("The HbA1c cutoff is 6.5. [2] It is measured twice [1].", 3, "What is the cutoff?")
    assert claims == [("The HbA1c cutoff is 6.5.", (1,)), ("It is measured twice.", (0,))]


def test_a_token_with_text_before_its_full_stop_is_not_swallowed(tok):
    c = CitationConstraint(tok, passages=4, eos_ids=(tok.eos_token_id,))
    out = c.apply(prefer(tok, "%."), ids(tok, "The cutoff for diabetes is 6.5"))
    assert out[0, one(tok, "%.")] == float("-inf")  # masked, so the model writes "%" and then its "."
    assert out[0, one(tok, "%")] == 0.0


def test_a_marker_cannot_open_a_sentence(tok):
    c = CitationConstraint(tok, passages=4, eos_ids=(tok.eos_token_id,))
    assert chosen(tok, c, "Metformin is first [1]. ", "[") != "["
    assert chosen(tok, c, "Metformin is first [1].", " [") != " ["


def test_without_refusals_the_not_found_sentence_cannot_be_started(tok):
    strict = CitationConstraint(tok, passages=2, eos_ids=(tok.eos_token_id,), refusals=False)
    lenient = CitationConstraint(tok, passages=2, eos_ids=(tok.eos_token_id,))
    assert chosen(tok, lenient, "The", " sources") == " sources"  # the default: the model may refuse
    assert chosen(tok, strict, "The", " sources") != " sources"
    # Nor by another way in ("The resources do not …"), while a real "does not" stays possible
    assert chosen(tok, strict, "The resources do", " not") != " not"
    assert chosen(tok, strict, "Amoxicillin does not", " work") == " work"
    assert chosen(tok, strict, "The", " deposit") == " deposit"
    # Only the opening sentence: once a cited sentence is written, later text is the checker's to judge
    assert chosen(tok, strict, "The deposit is $2,775 [1]. The", " sources") == " sources"
