"""The shared dev sets as evaluation questions, with the ids `assistant ingest` gives the same files."""

import pytest

from assistant.core.errors import AssistantError
from assistant.eval.shared import load_named, verify_label
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


def test_pubmedqa_and_medquad_questions():
    shared_data("pubmedqa/pqal_dev.json")
    items = load_named("pubmedqa")
    assert len(items) == 500 and all(i.relevance == {i.id: 1.0} for i in items)
    assert {i.label for i in items} == {"yes", "no", "maybe"} and all(i.answer for i in items)
    shared_data("medquad/7_SeniorHealth_QA")
    medquad = load_named("medquad:7_SeniorHealth_QA")
    assert medquad and all(k.startswith("7_SeniorHealth_QA/") and "#" in k for i in medquad for k in i.relevance)
    with pytest.raises(AssistantError, match="expected a collection folder"):
        load_named("medquad:no_such_collection")


def test_contractnli_not_mentioned_is_unanswerable_and_cuad_is_scoped():
    shared_data("contractnli/dev.json")
    items = load_named("contractnli")
    unanswerable = [i for i in items if not i.answerable]
    assert unanswerable and all(i.label is None and not i.evidence for i in unanswerable)
    assert all(i.label in ("yes", "no") and i.evidence for i in items if i.answerable)
    assert all(i.scope[0].startswith("contractnli:") for i in items)
    shared_data("cuad/master_clauses.csv")
    cuad = load_named("cuad:2")
    assert len({i.scope for i in cuad}) == 2 and all(i.evidence and i.question for i in cuad)
    assert all(i.scope[0].startswith("full_contract_txt/") for i in cuad)


def test_healthver_claims_and_label_mapping():
    shared_data("healthver/healthver_dev.csv")
    claims = load_named("healthver", verify=True)
    assert {verify_label(c) for c in claims} == {"supported", "contradicted", "not_enough_info"}
    with pytest.raises(AssistantError, match="expected healthver or contractnli"):
        load_named("pubmedqa", verify=True)
    with pytest.raises(AssistantError, match="expected a file or one of"):
        load_named("squad")
