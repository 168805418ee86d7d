"""ALCE citation recall and precision on hand-computed cases (threshold 0.5)."""

import pytest

from assistant.reliability.citations import (
    citation_scores,
    irrelevant_citations,
    sentence_recall,
)

T = 0.5


@pytest.mark.parametrize("cited, scores, recall, irrelevant", [
    ((0,), (0.9, 0.1), True, []),            # one good citation
    ((1,), (0.9, 0.1), False, []),           # the wrong passage: not recalled, nothing "extra"
    ((), (0.9, 0.1), False, []),             # no citation: never recalled
    ((0, 1), (0.9, 0.1), True, [1]),         # passage 1 adds nothing and the rest still supports
    ((0, 1), (0.9, 0.8), True, []),          # both support alone: both relevant
    ((0, 1), (0.3, 0.2), False, []),         # together still short: recall 0
])
def test_sentence_recall_and_irrelevant_citations(cited, scores, recall, irrelevant):
    assert sentence_recall(cited, scores, T) is recall
    assert irrelevant_citations(cited, scores, T) == irrelevant


def test_answer_level_scores_by_hand():
    cited = [(0,), (0, 1), (2,), ()]
    matrix = [(0.9, 0.0, 0.0), (0.7, 0.1, 0.0), (0.0, 0.0, 0.2), (0.9, 0.9, 0.9)]
    s = citation_scores(cited, matrix, T)
    # recall: sentences 0 and 1 supported by their citations; 2 cites a non-supporting passage; 3 cites nothing
    assert s.recall == pytest.approx(2 / 4)
    # precision: 4 citations; relevant = s0's [0] + s1's [0] (its [1] is irrelevant) = 2; s2's [2] fails
    assert s.precision == pytest.approx(2 / 4) and (s.sentences, s.citations) == (4, 4)
    assert citation_scores([], [], T).precision == 1.0
    with pytest.raises(ValueError, match="one score row per sentence"):
        citation_scores([(0,)], [], T)
