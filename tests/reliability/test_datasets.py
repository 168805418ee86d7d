"""Dev-set loaders on the shared data (skipped with a reason where ../shared/data is absent)."""

import json

import pytest

from assistant.core.errors import AssistantError
from assistant.reliability.datasets import (
    LABELS,
    load_contractnli,
    load_healthver,
    load_medquad_answers,
    split_groups,
)
from tests.conftest import shared_data

pytestmark = pytest.mark.shared_data


def test_healthver_loads_and_splits_by_topic():
    examples = load_healthver(shared_data("healthver/healthver_dev.csv"))
    assert len(examples) == 1917
    assert {e.label for e in examples} == set(LABELS)
    assert all(e.claim and e.evidence[0] and e.group.startswith("topic-") for e in examples)
    fit, held = split_groups(examples)
    assert len(fit) + len(held) == len(examples) and fit and held
    assert not {e.group for e in fit} & {e.group for e in held}


def test_contractnli_evidence_is_retrieved_the_same_way_for_every_label(tmp_path, embedder):
    source = json.loads(shared_data("contractnli/dev.json").read_text())
    small = tmp_path / "dev.json"  # two documents keep the test fast; the file stays outside the repo
    small.write_text(json.dumps({"documents": source["documents"][:2], "labels": source["labels"]}))
    examples = load_contractnli(small, embedder, top_k=3)
    assert len(examples) == sum(len(d["annotation_sets"][0]["annotations"]) for d in source["documents"][:2])
    assert all(len(e.evidence) == 3 for e in examples)
    assert {e.group for e in examples} == {f"doc-{d['id']}" for d in source["documents"][:2]}
    fit, held = split_groups(examples)
    assert not {e.group for e in fit} & {e.group for e in held}


def test_medquad_answers_load():
    answers = load_medquad_answers(shared_data("medquad"), limit_files=20)
    assert answers and all(len(text) > 200 for _, text in answers)


def test_missing_dataset_error_says_what_to_pass(tmp_path):
    with pytest.raises(AssistantError, match="expected a file at"):
        load_healthver(tmp_path / "absent.csv")
