"""Faithfulness and ALCE citation precision/recall of a shown answer, measured with the real verifier on
an answer whose verdicts are known: one sentence copied from its first citation (also citing an
unrelated passage), one sentence that neither of its passages supports."""

from types import SimpleNamespace

import pytest

from assistant.core.types import Answer, Chunk, Citation, SentenceCheck
from assistant.eval.answers import faithfulness
from assistant.reliability import AnswerChecker
from assistant.reliability.verifier import Verifier

DOSE = "Adults usually take 500 mg of amoxicillin three times a day for 7 days."
LEASE = "The tenant pays a security deposit of $2,775 before moving into the apartment."


def _chunk(n: int, text: str) -> Chunk:
    return Chunk(id=f"c{n}", doc_id=f"d{n}", text=text, start=0, end=len(text))


def test_faithfulness_and_alce_citation_scores(settings, embedder):
    checker = AnswerChecker(Verifier(settings, embedder=embedder))
    sentences = [SentenceCheck(DOSE, (1, 2), 1.0, "supported"),
                 SentenceCheck("The Moon is made of green cheese.", (2,), 0.1, "unsupported"),
                 SentenceCheck("A removed sentence is not shown.", (1,), 0.0, "removed")]
    answer = Answer("How much amoxicillin?", "…", [Citation(1, _chunk(1, DOSE)), Citation(2, _chunk(2, LEASE))],
                    sentences, False, 0.5)
    scores = faithfulness(SimpleNamespace(checker=checker), answer)
    # Shown: 2 sentences, 1 supported by its citations → faithfulness = citation recall = 1/2.
    # Citations: s1 [1] relevant, s1 [2] irrelevant (alone it fails, [1] suffices), s2 [2] fails → 1/3.
    assert scores["faithfulness"] == pytest.approx(0.5)
    assert scores["citation_recall"] == pytest.approx(0.5)
    assert scores["citation_precision"] == pytest.approx(1 / 3)
    abstained = Answer("q", "Not found", [], [], True, 0.0)
    assert faithfulness(SimpleNamespace(checker=checker), abstained) == {}
