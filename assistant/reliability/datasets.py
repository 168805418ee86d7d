"""Verification dev sets (HealthVer, ContractNLI) as (claim, evidence, label) examples, split into a fit
half and a held-out half by topic / document so that no topic or contract is on both sides.

The files are read where they lie (../shared/data); nothing is copied into the repository."""

from __future__ import annotations

import csv
import json
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.core.errors import AssistantError
from assistant.core.text import content_words

SUPPORTED, CONTRADICTED, NEI = "supported", "contradicted", "not_enough_info"
LABELS = (SUPPORTED, CONTRADICTED, NEI)
_HEALTHVER = {"Supports": SUPPORTED, "Refutes": CONTRADICTED, "Neutral": NEI}
_CONTRACTNLI = {"Entailment": SUPPORTED, "Contradiction": CONTRADICTED, "NotMentioned": NEI}
DEFAULT_DATA = Path(__file__).resolve().parents[3] / "shared" / "data"


@dataclass
class Example:
    id: str
    claim: str
    evidence: list[str]
    label: str
    group: str  # topic or document: the unit the fit / held-out split keeps together
    question: str = ""
    source: str = ""
    meta: dict = field(default_factory=dict)


def default_path(name: str) -> Path:
    return DEFAULT_DATA / {"healthver": "healthver/healthver_dev.csv", "contractnli": "contractnli/dev.json"}[name]


def _need(path: Path, what: str) -> Path:
    path = Path(path)
    if not path.is_file():
        raise AssistantError(f"{what}: expected a file at {path}, found none; pass its path (the public dev sets "
                             f"live in ../shared/data beside the checkout)")
    return path


def load_healthver(path: str | Path | None = None) -> list[Example]:
    path = _need(Path(path or default_path("healthver")), "HealthVer dev set")
    out = []
    with open(path, newline="", encoding="utf-8") as f:
        for n, row in enumerate(csv.DictReader(f), start=2):
            try:
                label = _HEALTHVER[row["label"].strip()]
                out.append(Example(f"healthver-{row['id']}", row["claim"].strip(), [row["evidence"].strip()], label,
                                   f"topic-{row['topic_ip']}", row.get("question", "").strip(), "healthver"))
            except KeyError as exc:
                raise AssistantError(f"{path}:{n}: expected columns id, evidence, claim, label (Supports/Refutes/"
                                     f"Neutral), topic_ip; found a row without {exc}") from None
    return out


def load_contractnli(path: str | Path | None = None, embedder=None, top_k: int = 3) -> list[Example]:
    """One example per (document, hypothesis). The evidence is the document's top_k spans by embedding
    plus lexical similarity to the hypothesis, built the same way for every label: gold spans exist
    only for entailed / contradicted hypotheses, so using them would give the label away."""
    path = _need(Path(path or default_path("contractnli")), "ContractNLI dev set")
    data = json.loads(path.read_text(encoding="utf-8"))
    if embedder is None:
        from assistant.embedding.embedder import Embedder

        embedder = Embedder()
    hypotheses = {k: v["hypothesis"] for k, v in data["labels"].items()}
    keys = sorted(hypotheses)
    hyp_vecs = embedder.encode([hypotheses[k] for k in keys])
    hyp_words = [set(content_words(hypotheses[k])) for k in keys]
    out = []
    for doc in data["documents"]:
        text = doc["text"]
        spans = [" ".join(text[a:b].split()) for a, b in doc["spans"]]
        keep = [i for i, s in enumerate(spans) if len(content_words(s)) >= 3]
        vecs = embedder.encode([spans[i] for i in keep])
        span_words = [set(content_words(spans[i])) for i in keep]
        annotations = doc["annotation_sets"][0]["annotations"]
        for h, key in enumerate(keys):
            if key not in annotations:
                continue
            lexical = np.array([len(hyp_words[h] & w) / max(len(hyp_words[h]), 1) for w in span_words])
            ranked = np.argsort(-(vecs @ hyp_vecs[h] + lexical))[:top_k]
            out.append(Example(f"contractnli-{doc['id']}-{key}", hypotheses[key], [spans[keep[r]] for r in ranked],
                               _CONTRACTNLI[annotations[key]["choice"]], f"doc-{doc['id']}", "", "contractnli",
                               {"hypothesis": key}))
    return out


def split_groups(examples: Sequence[Example], seed: int = 0) -> tuple[list[Example], list[Example]]:
    """(fit, held_out): groups shuffled with a fixed seed, alternating sides, so both halves see a
    similar number of topics and no group is on both sides."""
    groups = sorted({e.group for e in examples})
    random.Random(seed).shuffle(groups)
    fit_groups = set(groups[0::2])
    return [e for e in examples if e.group in fit_groups], [e for e in examples if e.group not in fit_groups]


def load_medquad_answers(root: str | Path | None = None, limit_files: int = 0, seed: int = 0) -> list[tuple[str, str]]:
    """(document id, answer text) pairs from MedQuAD XML files, in a fixed shuffled order."""
    import xml.etree.ElementTree as ET

    root = Path(root or DEFAULT_DATA / "medquad")
    if not root.is_dir():
        raise AssistantError(f"MedQuAD: expected a folder of XML files at {root}, found none; pass --medquad")
    files = sorted(root.glob("*/*.xml"))
    random.Random(seed).shuffle(files)
    out = []
    for f in files[: limit_files or None]:
        try:
            doc = ET.parse(f).getroot()
        except ET.ParseError:
            continue
        for qa in doc.iter("QAPair"):
            answer = qa.findtext("Answer") or ""
            if len(answer) > 200:
                out.append((doc.get("id", f.stem), answer))
    return out
