"""Training data for the grounded-answer adapter: questions over passages laid out exactly as retrieval
gives them to the generator (`prompting.build_messages`: the gold passage among distractors from the
same corpus, shuffled), and targets of one to three sentences that state the asked fact in the source's
own words, each ending with the `[n]` of the passage it comes from. Questions whose answer is in none
of the passages are answered with the exact not-found sentence.

The shared dev sets are split in halves by contract / document / PubMed id (`split_ids`, seed 0); only
the train half ever reaches a training example, so `bench/answers.py` scores the other half.
Sources: grounded_legal.py (CUAD master clauses, ContractNLI) and grounded_health.py (MedQuAD, PubMedQA)."""

from __future__ import annotations

import random
import re
from typing import Sequence

from assistant.generation.adapters import grounded_health, grounded_legal
from assistant.generation.adapters.data import Example
from assistant.generation.adapters.grounded_examples import halves, shared_data
from assistant.generation.prompting import NOT_IN_SOURCES

__all__ = ["by_source", "build", "source_counts", "train_config", "halves", "shared_data"]


def source_counts(examples: Sequence[Example]) -> dict[str, int]:
    """Examples by kind, for the data card: not-found answers, two-passage answers, decisions, others."""
    counts = {"not_found": 0, "two_passages": 0, "yes_no_maybe_first": 0, "one_passage": 0}
    for ex in examples:
        if ex.answer == NOT_IN_SOURCES:
            counts["not_found"] += 1
        elif len(set(re.findall(r"\[(\d+)\]", ex.answer))) > 1:
            counts["two_passages"] += 1
        elif re.match(r"(Yes|No|Maybe):", ex.answer):
            counts["yes_no_maybe_first"] += 1
        else:
            counts["one_passage"] += 1
    return counts


def by_source(seed: int = 0) -> dict[str, list[Example]]:
    """Each grounded source's train-half examples, by dataset name."""
    return {"CUAD master clauses": grounded_legal.cuad_examples(seed),
            "ContractNLI": grounded_legal.contractnli_examples(seed),
            "MedQuAD": grounded_health.medquad_examples(seed),
            "PubMedQA": grounded_health.pubmedqa_examples(seed)}


def build(limit_per_source: int = 0, seed: int = 0, sources: dict[str, list[Example]] | None = None) -> list[Example]:
    """Every grounded source's train half, shuffled together so a shortened training run still sees them all."""
    groups = list((sources or by_source(seed)).values())
    if limit_per_source:
        groups = [g[:limit_per_source] for g in groups]
    out: list[Example] = [ex for group in groups for ex in group]
    random.Random(seed).shuffle(out)
    return out


def train_config(**overrides):
    """How the shipped grounded adapter is trained (the data card records it): rank 16 on the top 20
    of SmolLM2's 30 layers, attention projections, one epoch, 5 % held out and scored."""
    from assistant.generation.adapters.train import TrainConfig

    base = dict(rank=16, alpha=32, top_layers=20, lr=3e-4, epochs=1.0, grad_accum=4, max_length=896,
                held_out=0.05, max_held_out=100, save_every=25, domain="", name="grounded")
    base.update(overrides)
    return TrainConfig(**base)
