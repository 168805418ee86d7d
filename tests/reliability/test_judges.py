"""The optional model-based signals: the generator as a judge, and a local cross-encoder."""

import pytest

from assistant.core.errors import ModelNotFoundError
from assistant.reliability.signals import CrossEncoderScorer, GeneratorJudge

EVIDENCE = "Adults usually take 500 mg of amoxicillin three times a day for 7 days."


@pytest.mark.slow
def test_generator_judge_prefers_the_supported_claim(settings):
    judge = GeneratorJudge(settings.generator)
    supported, unrelated = judge.score(["Adults take 500 mg of amoxicillin three times a day.",
                                        "Bananas are yellow fruit rich in potassium."], [EVIDENCE, EVIDENCE])
    assert 0.0 < unrelated < supported < 1.0


def test_cross_encoder_directory_must_exist(tmp_path):
    with pytest.raises(ModelNotFoundError, match="expected a local model directory"):
        CrossEncoderScorer(tmp_path / "nothing").warm_up()
