"""The generator's passages are led by their sentence closest to the question (generation/focus.py),
with the bundled embedder; every word is kept."""

from __future__ import annotations

from assistant.core.types import Chunk, Hit
from assistant.generation.focus import focus

BENEFITS = ("## 4. Benefits\n\n4.1 The Candidate will be eligible for the Company's medical, dental, and vision "
            "plans. 4.2 The Candidate will receive 20 days of paid time off per calendar year. 4.3 The Company "
            "matches 401(k) contributions up to 4% of base salary.")


def hit(text: str, cid: str = "c") -> Hit:
    return Hit(Chunk(cid, "d", text, 0, len(text)), 1.0, 0.5)


def test_the_sentence_answering_the_question_leads_its_passage(embedder):
    (out,) = focus("How much paid vacation comes with the offer?", [hit(BENEFITS)], embedder.encode)
    assert out.chunk.text.startswith("## 4. Benefits\n\n4.2 The Candidate will receive 20 days of paid time off")
    assert sorted(out.chunk.text.split()) == sorted(BENEFITS.split())  # reordered, nothing lost
    assert out.chunk.id == "c" and out.score == 1.0  # the same source, cited by the same [n]


def test_passages_already_led_by_their_best_sentence_or_of_one_sentence_are_unchanged(embedder):
    one = hit("Amoxicillin does not work against viral infections such as the common cold.", "a")
    led = hit("The Candidate will receive 20 days of paid time off. The Company offers dental plans.", "b")
    hits = [one, led]
    assert focus("How much paid vacation comes with the offer?", hits, embedder.encode) == hits
    assert focus("anything", [], embedder.encode) == []
