"""The data card written beside a shipped adapter: what it was trained on (sources, licences, counts),
how (command, seed, configuration) and what it scored, so the artifact in the repository can be
reproduced and judged without the run that made it."""

from __future__ import annotations

import json
from pathlib import Path

CARD = "DATA_CARD.md"
# Each grounded source, its licence and where it lies (read there, never copied into the repository).
LICENCES = {
    "CUAD master clauses": ("CC BY 4.0", "../shared/data/cuad (master_clauses.csv, full_contract_txt/)"),
    "ContractNLI": ("CC BY 4.0 + the dataset's terms", "../shared/data/contractnli/dev.json"),
    "MedQuAD": ("CC BY 4.0", "../shared/data/medquad (9 collections)"),
    "PubMedQA": ("MIT", "../shared/data/pubmedqa/pqal_dev.json"),
    "replay of the other sources": ("each source's own (above)", "the train halves of the sources not named"),
}


def write_card(out: Path, meta: dict, counts: dict[str, int], note: str = "") -> Path:
    """`note`: how the run relates to earlier ones (a second stage names its first here)."""
    config = meta.get("config", {})
    ev = meta.get("eval", {})
    rows = "\n".join(f"| {name} | {n} | {LICENCES.get(name, ('?', '?'))[0]} | {LICENCES.get(name, ('?', '?'))[1]} |"
                     for name, n in counts.items())
    kinds = config.get("extra", {}).get("sources", {})
    text = f"""# Grounded-answer adapter: data card

LoRA adapter on `{meta.get('base_model')}` that answers from numbered passages in the production prompt
(`assistant/generation/prompting.py`): one to three sentences in the source's own words, each ending
with the `[n]` of its passage, or exactly "The sources do not answer this question." when no passage
holds the answer.

## Data

Train halves only: every set is split in halves by contract, MedQuAD file or PubMed id
(`grounded.halves`, seed 0); `bench/answers.py` scores the other halves.

| source | examples | licence | read from |
|---|---|---|---|
{rows}

By kind: {json.dumps(kinds)}. Passages: the gold one among same-corpus distractors (other clauses and
windows of the same contract, the same MedQuAD document's other answers, other abstracts' sections),
shuffled; ~15 % of examples hold no answering passage.

## Training

Command: `assistant adapters train-grounded` (resumable with `--resume`; `--data-out F.jsonl` writes
the examples). Seed {config.get('seed')}; rank {config.get('rank')}, alpha {config.get('alpha')}, targets
{', '.join(config.get('targets', []))} on the top {config.get('top_layers') or 'all'} layers; lr
{config.get('lr')}, {config.get('epochs')} epoch, batch 1 × {config.get('grad_accum')} accumulation, max
{config.get('max_length')} tokens. {meta.get('train_examples')} examples trained
({meta.get('skipped_examples')} too long skipped), {meta.get('steps')} steps, {meta.get('train_seconds')} s on
the machine that made it. Data hash `{meta.get('data_hash')}`; created {meta.get('created')}.

{note}

## Metrics

Held-out 5 % of the training examples ({ev.get('examples')}): answer-token loss
{ev.get('adapter', {}).get('loss')} (base model {ev.get('base', {}).get('loss')}), next-token accuracy
{ev.get('adapter', {}).get('token_accuracy')} (base {ev.get('base', {}).get('token_accuracy')}).
End-to-end figures on the held-out halves: README, "Answer quality" (`bench/answers.py`).
"""
    path = out / CARD
    path.write_text(text, encoding="utf-8")
    return path
