"""The calibrated Verifier with the real bundled embedder: supported paraphrases pass; one wrong
number, negation, drug or party is flagged."""

import json

import numpy as np
import pytest

from assistant.core.settings import Settings, VerifierConfig
from assistant.reliability.datasets import SUPPORTED
from assistant.reliability.signals import Features
from assistant.reliability.verifier import CALIBRATION, Verifier, load_calibrations

MEDICAL = ("Inhaled corticosteroids are the main long-term controller medicine for reducing airway inflammation "
           "in asthma. Short-acting bronchodilators such as albuterol give quick relief during symptoms. "
           "Adults usually take 500 mg of amoxicillin three times a day for 7 days. "
           "Aspirin is not recommended for children with viral infections.")
CONTRACT = ("The Receiving Party shall not disclose Confidential Information to any third party without prior "
            "written consent. This Agreement shall remain in force for 3 years from the Effective Date. "
            "The Disclosing Party may terminate this Agreement with 30 days written notice.")

SUPPORTED_CLAIMS = [
    (MEDICAL, "Inhaled corticosteroids are the main long-term controller medicine for asthma."),
    (MEDICAL, "Adults usually take 500 mg of amoxicillin three times a day for 7 days."),
    (MEDICAL, "Albuterol gives quick relief during asthma symptoms."),
    (MEDICAL, "Aspirin is not recommended for children with viral infections."),
    (CONTRACT, "The Receiving Party shall not disclose Confidential Information to third parties without prior "
               "written consent."),
    (CONTRACT, "This Agreement remains in force for 3 years from the Effective Date."),
]
FLAGGED_CLAIMS = [
    ("dose", MEDICAL, "Adults usually take 750 mg of amoxicillin three times a day for 7 days."),
    ("duration", MEDICAL, "Adults usually take 500 mg of amoxicillin three times a day for 14 days."),
    ("negation removed", MEDICAL, "Aspirin is recommended for children with viral infections."),
    ("negation inserted", MEDICAL, "Inhaled corticosteroids are not the main long-term controller medicine for "
                                   "reducing airway inflammation in asthma."),
    ("drug swapped", MEDICAL, "Adults usually take 500 mg of ciprofloxacin three times a day for 7 days."),
    ("drug swapped", MEDICAL, "Short-acting bronchodilators such as salmeterol give quick relief during symptoms."),
    ("party swapped", CONTRACT, "The Disclosing Party shall not disclose Confidential Information to any third party "
                                "without prior written consent."),
    ("party swapped", CONTRACT, "The Receiving Party may terminate this Agreement with 30 days written notice."),
    ("term changed", CONTRACT, "This Agreement shall remain in force for 5 years from the Effective Date."),
    ("negation inserted", CONTRACT, "The Disclosing Party may not terminate this Agreement with 30 days written "
                                    "notice."),
    ("unrelated", MEDICAL, "Bananas are a good source of potassium."),
]


@pytest.fixture(scope="module")
def verifier(settings, embedder):
    v = Verifier(settings, embedder=embedder)
    v.warm_up()
    return v


@pytest.mark.parametrize("evidence, claim", SUPPORTED_CLAIMS)
def test_supported_claims_pass(verifier, evidence, claim):
    label, score = verifier.verify(claim, evidence)
    assert label == SUPPORTED and score >= verifier.threshold, (claim, score, verifier.threshold)


@pytest.mark.parametrize("kind, evidence, claim", FLAGGED_CLAIMS)
def test_wrong_claims_are_flagged(verifier, kind, evidence, claim):
    label, score = verifier.verify(claim, evidence)
    assert label != SUPPORTED and score < verifier.threshold, (kind, claim, score, verifier.threshold)


def test_score_matrix_rows_are_claims_and_columns_passages(verifier):
    claims = [SUPPORTED_CLAIMS[1][1], SUPPORTED_CLAIMS[5][1], FLAGGED_CLAIMS[0][2]]
    matrix = verifier.score_matrix(claims, [MEDICAL, CONTRACT])
    assert [len(row) for row in matrix] == [2, 2, 2]
    assert matrix[0][0].score > matrix[0][1].score and matrix[0][0].label == SUPPORTED
    assert matrix[1][1].score > matrix[1][0].score and matrix[1][1].label == SUPPORTED
    assert matrix[2][0].label != SUPPORTED and matrix[2][0].features["numbers"] < 1.0
    assert "500 mg" in matrix[0][0].evidence
    assert all(0.0 <= v.score <= 1.0 for row in matrix for v in row)


def test_verify_pools_a_list_of_passages(verifier):
    label, _ = verifier.verify(SUPPORTED_CLAIMS[5][1], ["Unrelated text about the weather.", CONTRACT])
    assert label == SUPPORTED


def test_calibration_file_loads_and_applies_with_numpy():
    data = json.loads(CALIBRATION.read_text())
    assert data["date"] and data["data"]["healthver"]["fit"] > 0 and data["data"]["contractnli"]["fit"] > 0
    calibrations = load_calibrations()
    cheap = next(c for c in calibrations if c.name == "cheap")
    assert 0.0 < cheap.support_threshold < 1.0
    copy = {"lexical": 1.0, "novel": 1.0, "recall_passage": 1.0, "bigram": 1.0, "semantic": 0.98,
            "cosine_passage": 0.7, "numbers": 1.0, "negation": 0.0, "quantifier": 0.0, "entity": 0.0,
            "entity_passage": 0.0}
    wrong_dose = {**copy, "bigram": 0.8, "semantic": 0.95, "numbers": 0.0}
    x = np.stack([Features(v).vector(cheap.features) for v in (copy, wrong_dose)])
    p = cheap.supported.probability(x)  # numpy only: scikit-learn is not needed at run time
    assert p.shape == (2,) and p[1] < cheap.support_threshold <= p[0]


def test_calibration_missing_or_malformed_says_how_to_fix(tmp_path, settings, embedder):
    from dataclasses import replace

    from assistant.core.errors import AssistantError

    with pytest.raises(AssistantError, match="verifier calibrate"):
        Verifier(settings, embedder=embedder, calibration=tmp_path / "absent.json").warm_up()
    bad = tmp_path / "bad.json"
    bad.write_text('{"models": [{"name": "x"}]}')
    with pytest.raises(AssistantError, match="re-run"):
        Verifier(settings, embedder=embedder, calibration=bad).warm_up()
    off = replace(settings, verifier=VerifierConfig(model="off"))
    assert Verifier(off, embedder=embedder).available() == {}


def test_settings_have_a_verifier_section():
    assert Settings.load(env={"ASSISTANT_VERIFIER_JUDGE": "true"}).verifier.judge is True
