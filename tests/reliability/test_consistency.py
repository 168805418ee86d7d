"""Self-consistency: sampled answers that say the same thing agree; scattered or wrong-number ones do not."""

import pytest

from assistant.core.settings import GeneratorConfig
from assistant.core.types import Chunk, Hit
from assistant.generation.generator import TransformersGenerator
from assistant.reliability.consistency import SelfConsistency
from tests.conftest import Canned


def test_agreement_counts_samples_that_say_the_same(embedder):
    shown = ["Invoices are payable within 45 days of receipt.", "Late payments accrue interest."]
    drawn = ["Invoices must be paid within 45 days of receipt [1].",
             "Payment of invoices is due within 45 days of receipt [1]. Late payment accrues interest [1].",
             "Invoices are payable within 30 days of receipt [1].",  # a different number: no agreement
             "The agreement is governed by the laws of Ontario [2]."]
    # agreement() only compares texts: the generator (constructed, never loaded) is not called
    c = SelfConsistency(TransformersGenerator(), embedder, samples=4, min_similarity=0.75)
    per = c.agreement(shown, drawn)
    assert per[0] == pytest.approx(2 / 4)  # the 30-day and the governing-law samples do not agree
    assert per[1] == pytest.approx(1 / 4)
    assert c.agreement([], drawn) == () and c.agreement(shown, []) == (0.0, 0.0)


def test_a_generator_without_sampling_is_refused(embedder):
    with pytest.raises(TypeError, match="self_consistency off"):
        SelfConsistency(Canned("x"), embedder)  # a Generator whose can_sample is False


@pytest.mark.slow
def test_real_samples_are_seeded_and_distinct_from_greedy(embedder):
    gen = TransformersGenerator(GeneratorConfig(max_new_tokens=24))
    hits = [Hit(Chunk("a#0", "a", "Invoices are payable within 45 days of receipt.", 0, 48, title="MSA"), 1.0)]
    c = SelfConsistency(gen, embedder, samples=3)
    first = c.measure("When are invoices payable?", hits, ["Invoices are payable within 45 days of receipt."])
    again = c.measure("When are invoices payable?", hits, ["Invoices are payable within 45 days of receipt."])
    assert len(first.samples) == 3 and first.samples == again.samples  # seeded
    assert len(set(first.samples)) > 1  # sampling, not greedy thrice
    assert 0.0 <= first.agreement <= 1.0
