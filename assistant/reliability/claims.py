"""What the verifier's cross-encoder judges for an answer sentence. One format for its training pairs
(constructed.py) and for run time (verifier.add_optional)."""

from __future__ import annotations


def answer_claim(question: str, sentence: str) -> str:
    """The sentence as the answer to the question: a bare "180/120 mmHg." means nothing without the
    question it answers, and a sentence true somewhere in the passage may still not answer it."""
    question, sentence = " ".join(question.split()), " ".join(sentence.split())
    return f"Question: {question} Answer: {sentence}" if question else sentence
