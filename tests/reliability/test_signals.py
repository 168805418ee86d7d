"""The cheap signals and the perturbations, table-driven (no models needed)."""

import random

import pytest

from assistant.reliability.perturb import change_number, swap_entity, toggle_negation
from assistant.reliability.signals import (
    entities,
    entity_missing,
    negated,
    numbers_consistent,
    quantifier_mismatch,
)


@pytest.mark.parametrize("claim, sentence, expected", [
    ("Adults take 500 mg daily.", "Adults usually take 500 mg three times a day.", 1.0),
    ("Adults take 750 mg daily.", "Adults usually take 500 mg three times a day.", 0.0),
    ("Take 5 mg for a week.", "Take 5 days of treatment.", 0.0),  # right number, wrong unit
    ("Treatment lasts 5 days.", "Treatment lasts for 5 days in most cases.", 1.0),
    ("It started in 2019.", "Covid19 began in Wuhan in December, 2019.", 1.0),
    ("No numbers here.", "Nor here.", 1.0),
])
def test_numbers_consistent(claim, sentence, expected):
    assert numbers_consistent(claim, sentence) == expected


@pytest.mark.parametrize("text, expected", [
    ("Aspirin does not prevent strokes.", True),
    ("The drug failed to reduce mortality.", True),
    ("Patients without symptoms can't spread it.", True),
    ("Aspirin prevents strokes.", False),
    ("Notable results were seen.", False),
])
def test_negated(text, expected):
    assert negated(text) is expected


@pytest.mark.parametrize("claim, sentence, expected", [
    ("Vitamin D increases mortality.", "Vitamin D decreases mortality.", 1.0),
    ("All patients recovered.", "Some patients recovered.", 1.0),
    ("Vitamin D increases mortality.", "Vitamin D increases mortality in the elderly.", 0.0),
    ("Most patients recovered.", "Patients recovered.", 0.5),
    ("Patients recovered.", "All patients recovered.", 0.0),
])
def test_quantifier_mismatch(claim, sentence, expected):
    assert quantifier_mismatch(claim, sentence) == expected


def test_entities_and_their_absence():
    claim = "The Receiving Party may share data with Acme after taking metformin or COVID-19 tests."
    found = entities(claim)
    assert {"receiving", "party", "acme", "metformin", "covid-19"} <= found
    assert "the" not in found
    assert entity_missing(found, claim) == 0.0
    assert entity_missing({"ibuprofen"}, "Take paracetamol for pain.") == 1.0


@pytest.mark.parametrize("sentence, expected", [
    ("Aspirin is used to prevent strokes.", "Aspirin is not used to prevent strokes."),
    ("Aspirin is not used to prevent strokes.", "Aspirin is used to prevent strokes."),
    ("Children should never take aspirin.", "Children should always take aspirin."),
    ("Take it daily.", None),
])
def test_toggle_negation(sentence, expected):
    assert toggle_negation(sentence) == expected


def test_change_number_and_swap_entity_change_exactly_one_thing():
    rng = random.Random(0)
    changed = change_number("Adults take 500 mg three times a day.", rng)
    assert changed != "Adults take 500 mg three times a day." and "500" not in changed and " mg three" in changed
    assert change_number("No digits.", rng) is None
    swapped = swap_entity("Receiving Party shall not disclose it.", [], rng)
    assert swapped == "Disclosing Party shall not disclose it."
    drug = swap_entity("Patients were given metformin twice a day.", ["Lisinopril"], rng)
    assert drug == "Patients were given lisinopril twice a day."
