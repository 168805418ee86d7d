"""Issue 17: the verifier's cross-encoder — its training pairs, a tiny training run, the shipped
delta format and how premises are windowed. The figures themselves come from bench/verify.py."""

from __future__ import annotations

import random
from collections import defaultdict

import pytest

from assistant.core.errors import AssistantError
from assistant.reliability import ce_model
from assistant.reliability.claims import answer_claim
from assistant.reliability.nli_sets import HELD_OUT, TRAIN, Pair
from assistant.reliability.signals import CrossEncoderScorer, windows
from assistant.reliability.train import TrainingRequest, sample_pairs, score, train
from tests.conftest import shared_data

PREMISE = "Adults usually take 500 mg of amoxicillin three times a day for 7 days."


def _tiny_pairs() -> list[Pair]:
    good = [Pair(PREMISE, "Adults take 500 mg of amoxicillin.", 1, "tiny", TRAIN)] * 8
    bad = [Pair(PREMISE, "Adults take 900 mg of amoxicillin.", 0, "tiny", TRAIN)] * 8
    held = [Pair(PREMISE, "Amoxicillin is taken three times a day.", 1, "tiny", HELD_OUT),
            Pair(PREMISE, "Amoxicillin is taken once a week.", 0, "tiny", HELD_OUT)]
    return good + bad + held


def test_a_tiny_training_run_writes_a_small_delta_that_loads_back_to_the_same_scores(tmp_path):
    out = train(TrainingRequest(out=str(tmp_path / "model"), max_steps=3, batch_size=8, max_length=64,
                                report_sample=10), _tiny_pairs(), lambda s: None)
    assert ce_model.is_delta(out) and not (tmp_path / "model.checkpoint").exists()
    tok, model, meta = ce_model.load(out)
    assert meta["base"] == "bundled" and meta["top_layers"] == 3 and meta["held_out"]["tiny"]["pairs"] == 2
    # Only the top three layers and the head travel: far under the 40 MB the issue allows.
    assert all(k.startswith(("bert.encoder.layer.3", "bert.encoder.layer.4", "bert.encoder.layer.5",
                             "bert.pooler", "classifier")) for k in meta["trained"])
    assert (out / ce_model.DELTA).stat().st_size < 15_000_000
    card = (out / "card.md").read_text(encoding="utf-8")  # the run's own data card, beside its weights
    assert "| tiny | 16 | 2 | 16 |" in card and "encoder layers 3, 4, 5" in card and "Apache-2.0" in card
    scorer = CrossEncoderScorer(out)
    probs = scorer.score(["Adults take 500 mg of amoxicillin."], [[PREMISE]])
    assert abs(probs[0] - score(tok, model, [_tiny_pairs()[0]], 64)[0]) < 1e-4
    assert scorer.reads_passages and scorer.answer_shaped
    # Any ordinary Hugging Face / sentence-transformers CrossEncoder directory replaces it as it is.
    model.save_pretrained(tmp_path / "full")
    tok.save_pretrained(tmp_path / "full")
    other = CrossEncoderScorer(tmp_path / "full")
    assert abs(other.score(["Adults take 500 mg of amoxicillin."], [PREMISE])[0] - probs[0]) < 1e-4
    assert not other.answer_shaped  # a foreign model is given bare sentences


def test_training_refuses_a_stale_checkpoint_without_resume_and_one_label_data(tmp_path):
    (tmp_path / "model.checkpoint").mkdir()
    with pytest.raises(AssistantError, match="--resume"):
        train(TrainingRequest(out=str(tmp_path / "model"), max_steps=1), _tiny_pairs(), lambda s: None)
    with pytest.raises(AssistantError, match="both labels"):
        train(TrainingRequest(out=str(tmp_path / "other")), _tiny_pairs()[:8], lambda s: None)
    with pytest.raises(AssistantError, match="--top-layers between 0 and 6"):
        TrainingRequest(top_layers=7)


def test_sampling_cuts_the_big_families_first_and_keeps_small_ones_whole():
    pairs = ([Pair("p", f"big {i}", i % 2, "docnli-mnli", TRAIN) for i in range(1000)]
             + [Pair("p", f"small {i}", i % 2, "scifact", TRAIN) for i in range(50)]
             + [Pair("p", f"dev {i}", i % 2, "healthver", TRAIN) for i in range(20)])
    out = sample_pairs(pairs, 300, random.Random(0))
    by = defaultdict(int)
    for p in out:
        by[p.source] += 1
    assert by["scifact"] == 50 and by["healthver"] == 40  # whole, and the dev fit half seen twice
    assert len(out) <= 300 and by["docnli-mnli"] == 300 - 90


def test_long_passages_are_read_in_overlapping_sentence_windows():
    short = "One sentence. Another one."
    assert windows(short) == [short]
    sentences = [f"Sentence number {i} says something specific about clause {i}." for i in range(40)]
    long = " ".join(sentences)
    parts = windows(long, limit=300)
    assert all(len(w) <= 300 for w in parts) and len(parts) > 5
    for s in sentences:  # every sentence is read, and with its next neighbour where the window allows
        assert any(s in w for w in parts)
    assert any(sentences[10] + " " + sentences[11] in w for w in parts)


def test_a_long_training_premise_keeps_the_window_that_holds_its_claim():
    from assistant.reliability.signals import window_chars
    from assistant.reliability.train import windowed

    filler = [f"Section {i} describes the routine maintenance of building number {i}." for i in range(60)]
    evidence = "The tenant must pay a security deposit of 2,775 dollars before moving in."
    premise = " ".join(filler[:45] + [evidence] + filler[45:])
    pair = Pair(premise, "The tenant pays a security deposit of 2,775 dollars.", 1, "tiny", TRAIN)
    [cut] = windowed([pair], 192)
    assert evidence in cut.premise and len(cut.premise) <= window_chars(192) < len(premise)
    assert (cut.claim, cut.label) == (pair.claim, pair.label)
    assert windowed([_tiny_pairs()[0]], 192) == [_tiny_pairs()[0]]  # short premises are kept whole
    assert window_chars(256) == 1000  # the size run time has always read with the 256-token model


def test_an_answer_is_judged_with_its_question():
    assert answer_claim("", "130/80 mmHg.") == "130/80 mmHg."
    assert answer_claim("Above what reading is blood pressure high?", " 130/80  mmHg. ") == \
        "Question: Above what reading is blood pressure high? Answer: 130/80 mmHg."


def test_the_shared_sets_map_to_binary_labels_and_never_share_a_group_across_splits():
    from assistant.reliability.nli_sets import load_nli

    pairs = load_nli(shared_data("nli"))
    sources = {p.source for p in pairs}
    assert {"docnli-mnli", "docnli-fever", "summedits", "factcg", "covidfact", "scifact", "climate-fever",
            "nli4ct"} <= sources
    for source in sources:
        mine = [p for p in pairs if p.source == source]
        assert {p.label for p in mine} == {0, 1}, source
        assert {p.split for p in mine} == {TRAIN, HELD_OUT}, source
        grouped = defaultdict(set)
        for p in mine:
            # COVID-Fact / SciFact / NLI4CT keep their official splits (a premise or claim can recur there).
            if source not in ("covidfact", "scifact", "nli4ct"):
                grouped[p.group].add(p.split)
        assert all(len(s) == 1 for s in grouped.values()), source


def test_constructed_pairs_cover_the_failures_seen_and_split_by_document():
    from assistant.reliability.constructed import cuad_pairs, medquad_pairs

    cuad = cuad_pairs(shared_data("cuad"))
    medquad = medquad_pairs(shared_data("medquad"), limit_files=150)
    kinds = {p.source for p in cuad + medquad}
    assert {"cuad-preamble", "cuad-off-question", "cuad-answer", "medquad-non-answer", "medquad-off-question",
            "medquad-negation", "medquad-deleted"} <= kinds
    for p in cuad + medquad:
        if p.source.endswith(("-preamble", "-off-question", "-non-answer")):
            assert p.label == 0 and p.claim.startswith("Question: ")
    docs = defaultdict(set)
    for p in cuad + medquad:
        docs[p.group].add(p.split)
    assert all(len(s) == 1 for s in docs.values())
    # A swapped jurisdiction keeps the clause's wording and changes only the law named.
    swapped = [p for p in cuad if p.source == "cuad-jurisdiction"]
    assert swapped and all(p.label == 0 for p in swapped)
