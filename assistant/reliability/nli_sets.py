"""The shared claim-verification sets (../shared/data/nli, see its README) as one list of `Pair`s for
training and benchmarking the verifier's cross-encoder.

Every set is mapped to supported (1) / unsupported (0), keeping the three-way label where the set has
one. Each pair also carries its split: "train" or "held_out". COVID-Fact, SciFact and NLI4CT keep
their official train / dev(+test) files (split by statement, so a claim or trial report can recur on
both sides: their held-out figures are in-domain ones); for the others, whole groups (a premise, a
claim, a document) go to one side by a stable hash, so none is seen on both sides."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

from assistant.core.errors import AssistantError
from assistant.reliability.datasets import CONTRADICTED, DEFAULT_DATA, NEI, SUPPORTED

TRAIN, HELD_OUT = "train", "held_out"
HELD_OUT_SHARE = 0.25  # of the groups, where a set has no split of its own
MAX_PREMISE_CHARS = 4000  # documents beyond this are cut: the model reads at most a few hundred tokens


@dataclass(frozen=True)
class Pair:
    premise: str
    claim: str
    label: int  # 1 supported, 0 not
    source: str  # the set's name, e.g. "docnli-mnli"
    split: str  # TRAIN or HELD_OUT
    three_way: str = ""  # supported / contradicted / not_enough_info where the set says
    group: str = ""


def _side(group: str) -> str:
    digest = int(hashlib.sha1(group.encode("utf-8")).hexdigest()[:8], 16)
    return HELD_OUT if digest % 1000 < HELD_OUT_SHARE * 1000 else TRAIN


def _pair(premise: str, claim: str, label: int, source: str, split: str, three_way: str = "",
          group: str = "") -> Pair | None:
    premise, claim = " ".join(premise.split())[:MAX_PREMISE_CHARS], " ".join(claim.split())
    if not premise or not claim:
        return None
    return Pair(premise, claim, int(label), source, split, three_way, group)


def docnli(root: Path) -> Iterator[Pair | None]:
    # Its dev and test files are pooled (both are labelled; here they are training data) and split by
    # premise, so a premise's entailed and non-entailed hypotheses stay together.
    for name, source in (("binary-MNLI", "docnli-mnli"), ("binary-FEVER-NLI", "docnli-fever")):
        for file in ("dev.txt", "test.txt"):
            with open(root / "docnli" / name / file, encoding="utf-8") as f:
                for line in f:
                    parts = line.rstrip("\n").split("\t")
                    if len(parts) == 3 and parts[0] in ("entailment", "not_entailment"):
                        group = f"{source}:{parts[1][:200]}"
                        yield _pair(parts[1], parts[2], parts[0] == "entailment", source, _side(group), group=group)


def covidfact(root: Path) -> Iterator[Pair | None]:
    for name, source in (("RTE-covidfact", "covidfact"), ("RTE-scifact", "scifact")):
        for file, split in (("train.tsv", TRAIN), ("dev.tsv", HELD_OUT)):
            with open(root / "covidfact" / name / file, encoding="utf-8", newline="") as f:
                for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                    if len(row) == 4 and row[3] in ("entailment", "not_entailment"):
                        yield _pair(row[1], row[2], row[3] == "entailment", source, split, group=row[2])


def summedits(root: Path) -> Iterator[Pair | None]:
    for file in sorted((root / "summedits").glob("summedits_*.json")):
        for item in json.loads(file.read_text(encoding="utf-8")):
            group = f"{file.stem}:{item['doc'][:200]}"
            yield _pair(item["doc"], item["summary"], str(item["label"]) == "1", "summedits", _side(group),
                        group=group)


def _json_lines(path: Path) -> Iterator[dict]:
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def factcg(root: Path) -> Iterator[Pair | None]:
    for item in _json_lines(root / "factcg" / "CG2C_doc.json"):
        claims = item["text_b"] if isinstance(item["text_b"], list) else [item["text_b"]]
        for claim in claims:
            # The same claim appears with and without its evidence: keep them on one side.
            yield _pair(item["text_a"], claim, str(item["orig_label"]) == "1", "factcg", _side(claim), group=claim)


_CLIMATE = {"SUPPORTS": SUPPORTED, "REFUTES": CONTRADICTED, "NOT_ENOUGH_INFO": NEI}


def climate_fever(root: Path) -> Iterator[Pair | None]:
    for item in _json_lines(root / "climate-fever" / "climate-fever.jsonl"):
        group = f"climate-{item['claim_id']}"
        for ev in item["evidences"]:
            label = _CLIMATE.get(ev["evidence_label"])
            if label:
                premise = f"{ev.get('article', '')}: {ev['evidence']}"
                yield _pair(premise, item["claim"], label == SUPPORTED, "climate-fever", _side(group), label, group)


def nli4ct(root: Path) -> Iterator[Pair | None]:
    # The official train / dev / test split, which is by statement: a trial's report can be the premise
    # on both sides (with different statements), so its held-out figure is an in-domain one.
    with zipfile.ZipFile(root / "nli4ct" / "Complete_dataset.zip") as z:
        trials = {Path(n).stem: json.loads(z.read(n)) for n in z.namelist()
                  if n.startswith("Complete_dataset/CT json/") and n.endswith(".json")}

        def section(trial: str, name: str, index: list[int]) -> str:
            lines = trials.get(trial, {}).get(name) or []
            return " ".join(lines[i].strip() for i in index if 0 <= i < len(lines))

        for file, split in (("train.json", TRAIN), ("dev.json", HELD_OUT), ("Gold_test.json", HELD_OUT)):
            for item in json.load(io.TextIOWrapper(z.open(f"Complete_dataset/{file}"), encoding="utf-8")).values():
                if item.get("Label") not in ("Entailment", "Contradiction"):
                    continue
                premise = "Primary trial: " + section(item["Primary_id"], item["Section_id"],
                                                      item.get("Primary_evidence_index", []))
                if item.get("Secondary_id"):
                    premise += " Secondary trial: " + section(item["Secondary_id"], item["Section_id"],
                                                              item.get("Secondary_evidence_index", []))
                entailed = item["Label"] == "Entailment"
                yield _pair(premise, item["Statement"], entailed, "nli4ct", split,
                            SUPPORTED if entailed else CONTRADICTED, item["Primary_id"])


SETS: dict[str, Callable[[Path], Iterator[Pair | None]]] = {
    "docnli": docnli, "covidfact": covidfact, "summedits": summedits, "factcg": factcg,
    "climate-fever": climate_fever, "nli4ct": nli4ct}


def load_nli(root: str | Path | None = None, sets: tuple[str, ...] = tuple(SETS)) -> list[Pair]:
    """Every pair of the named sets under `root` (default ../shared/data/nli)."""
    root = Path(root or DEFAULT_DATA / "nli")
    if not root.is_dir():
        raise AssistantError(f"NLI sets: expected the folder described in ../shared/data/nli/README.md at {root}, "
                             f"found none; pass --nli PATH")
    out: list[Pair] = []
    for name in sets:
        if name not in SETS:
            raise AssistantError(f"NLI sets: expected names from {sorted(SETS)}, found {name!r}")
        try:
            out += [p for p in SETS[name](root) if p is not None]
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise AssistantError(f"NLI set {name} under {root}: expected the format its README describes, found "
                                 f"a problem: {exc!r}") from None
    return out
