"""Every pair the verifier's cross-encoder is trained and benchmarked on, from ../shared/data: the NLI
sets (nli_sets.py), the CUAD / MedQuAD pairs made by construction (constructed.py), and the
HealthVer / ContractNLI dev sets split into the same fit / held-out halves `bench/verify.py` uses
(datasets.split_groups, seed 0): only their fit halves are ever trained on.

Pairs can be written to one gzipped JSONL file and read back, so a training run elsewhere (a machine
without the shared data or the embedder) sees exactly the pairs built here."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from dataclasses import asdict
from pathlib import Path
from typing import Callable

from assistant.core.errors import AssistantError
from assistant.reliability.constructed import cuad_pairs, medquad_pairs
from assistant.reliability.datasets import (
    DEFAULT_DATA,
    SUPPORTED,
    Example,
    load_contractnli,
    load_healthver,
    split_groups,
)
from assistant.reliability.nli_sets import HELD_OUT, TRAIN, Pair, load_nli

DEV_SPLIT_SEED = 0  # the seed bench/verify.py and `verifier calibrate` split the dev sets with


def dev_pairs(examples: list[Example], source: str) -> list[Pair]:
    fit, held = split_groups(examples, DEV_SPLIT_SEED)
    return [Pair(" ".join(e.evidence), e.claim, int(e.label == SUPPORTED), source, split, e.label, e.group)
            for part, split in ((fit, TRAIN), (held, HELD_OUT)) for e in part]


def build_pairs(data: str | Path | None = None, progress: Callable[[str], None] = print,
                medquad_files: int = 1500, seed: int = 0) -> list[Pair]:
    """All pairs, both splits, from the shared data folder (default ../shared/data)."""
    root = Path(data or DEFAULT_DATA)
    if not root.is_dir():
        raise AssistantError(f"verifier pairs: expected the shared data folder at {root}, found none; pass --data")
    progress("reading the NLI sets")
    pairs = load_nli(root / "nli")
    progress("constructing CUAD and MedQuAD pairs")
    pairs += cuad_pairs(root / "cuad", seed) + medquad_pairs(root / "medquad", medquad_files, seed)
    progress("reading HealthVer and ContractNLI dev (fit / held-out halves)")
    pairs += dev_pairs(load_healthver(root / "healthver" / "healthver_dev.csv"), "healthver")
    pairs += dev_pairs(load_contractnli(root / "contractnli" / "dev.json"), "contractnli")
    return pairs


def counts(pairs: list[Pair]) -> dict[str, dict[str, int]]:
    """{source: {"train": n, "held_out": n, "supported": n}} for the data card."""
    out: dict[str, Counter] = {}
    for p in pairs:
        c = out.setdefault(p.source, Counter())
        c[p.split] += 1
        c["supported"] += p.label
    return {k: dict(v) for k, v in sorted(out.items())}


def write_pairs(pairs: list[Pair], path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(asdict(p), ensure_ascii=False) + "\n")
    return path


def read_pairs(path: str | Path) -> list[Pair]:
    path = Path(path)
    if not path.is_file():
        raise AssistantError(f"verifier pairs: expected a .jsonl.gz file written by --write-pairs at {path}, "
                             f"found none")
    out = []
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                out.append(Pair(**json.loads(line)))
            except (json.JSONDecodeError, TypeError) as exc:
                raise AssistantError(f"{path}:{n}: expected a pair object (premise, claim, label, source, split), "
                                     f"found a problem: {exc}") from None
    return out
