from assistant.reliability import SupportScorer

PASSAGE = ("Inhaled corticosteroids are the main long-term controller medicine for reducing airway inflammation "
           "in asthma. Short-acting bronchodilators such as albuterol give quick relief during symptoms. "
           "Adults usually take 500 mg three times a day.")


def test_true_claim_scores_high_and_wrong_entity_or_number_low(embedder):
    scorer = SupportScorer(embedder)
    question = "What is the main daily controller medicine for asthma?"
    claims = [
        "The main controller medicine for reducing airway inflammation in asthma is inhaled corticosteroids.",
        "The main daily controller medicine for asthma is albuterol.",
        "Adults usually take 750 mg three times a day.",
        "Bananas are a good source of potassium.",
    ]
    (good,), (wrong_entity,), (wrong_number,), (unrelated,) = scorer.score_matrix(claims, [PASSAGE], question)
    assert good.score >= 0.55 and good.numbers_ok
    assert wrong_entity.score < 0.55
    assert not wrong_number.numbers_ok and wrong_number.score < 0.55
    assert unrelated.score < 0.3
    assert good.evidence.startswith("Inhaled corticosteroids")
