"""Figures for the injection detector: recall on planted passages (held-in / held-out, per style,
language and obfuscation) and false flags on real passages (count / denominator per corpus). Used by
`assistant injection train` for the data card and by bench/injection.py."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.reliability.injection_data import (
    HELD_IN,
    HELD_OUT,
    HELD_OUT_LANGS,
    HELD_OUT_STYLES,
    Sample,
)


def _rate(hits: int, total: int) -> dict:
    return {"flagged": hits, "total": total, "rate": round(hits / total, 5) if total else None}


def evaluate(samples: Sequence[Sample], flags: Sequence[bool] | np.ndarray) -> dict:
    """Evaluation samples only (HELD_IN / HELD_OUT): recall on planted, false flags on the rest."""
    out: dict = {"recall": {}, "false_flags": {}}
    groups: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    negatives: dict[str, list[bool]] = defaultdict(list)
    for s, f in zip(samples, flags):
        f = bool(f)
        if s.label:
            for split in (s.split, "all"):
                groups[split]["overall"].append(f)
                groups[split][f"style:{s.style}"].append(f)
                groups[split][f"lang:{s.lang}"].append(f)
                groups[split][f"obfuscation:{s.obfuscation}"].append(f)
                groups[split][f"position:{s.position}"].append(f)
        else:
            kind = s.corpus if s.style == "real" else f"generated:{s.style}"
            negatives[kind].append(f)
            negatives["real (all corpora)" if s.style == "real" else "generated (all)"].append(f)
    for split in (HELD_IN, HELD_OUT, "all"):
        out["recall"][split] = {k: _rate(sum(v), len(v)) for k, v in sorted(groups[split].items())}
    out["false_flags"] = {k: _rate(sum(v), len(v)) for k, v in sorted(negatives.items())}
    return out


def failures(samples: Sequence[Sample], flags: Sequence[bool], limit: int = 10) -> dict:
    """A few missed planted passages and false-flagged real ones, for reading, not for scoring."""
    missed = [s.text[:300] for s, f in zip(samples, flags) if s.label and not f][:limit]
    false = [s.text[:300] for s, f in zip(samples, flags) if not s.label and f][:limit]
    return {"missed": missed, "false_flags": false}


def format_table(metrics: dict, title: str) -> str:
    lines = [f"## {title}", "", "| group | held-in recall | held-out recall |", "|---|---|---|"]
    held_in, held_out = metrics["recall"].get(HELD_IN, {}), metrics["recall"].get(HELD_OUT, {})
    for key in sorted(set(held_in) | set(held_out), key=lambda k: (k != "overall", k)):
        cells = []
        for part in (held_in, held_out):
            r = part.get(key)
            cells.append(f"{r['rate']:.3f} ({r['flagged']}/{r['total']})" if r and r["total"] else "-")
        lines.append(f"| {key} | {cells[0]} | {cells[1]} |")
    lines += ["", "| negatives | false flags | rate |", "|---|---|---|"]
    for key, r in metrics["false_flags"].items():
        lines.append(f"| {key} | {r['flagged']}/{r['total']} | {r['rate']:.4%} |")
    return "\n".join(lines)


def write_card(path: Path, meta: dict, threshold: float) -> None:
    """The data card beside the shipped head: sources, licences, counts, seed, command, metrics."""
    counts = meta.get("counts", {})
    text = f"""# Injection detector: data card

Written by `{meta.get('command', 'assistant injection train')}` (seed {meta.get('seed')}, \
{meta.get('training_seconds')} s on CPU). Weights: `{path.stem.replace('_card', '')}.json` \
(MLP 384 → {meta.get('hidden')} → 1 over {meta.get('encoder')} window vectors), threshold {threshold:.4f} \
({meta.get('threshold_rule')}).

## Sources and licences
- Negatives and host passages: the shared corpora read by the project's connectors and chunked by its
  chunker (`assistant/reliability/injection_corpus.py`): MedQuAD answers (CC BY 4.0), CUAD contracts
  (CC BY 4.0), PubMedQA contexts (MIT), ContractNLI NDAs (CC BY 4.0 + terms), USLM bills (US public
  domain). Documents are split train / evaluation by a hash of their id: no document is on both sides.
  None of this text ships; only the head's weights do.
- Planted instructions: templates written for this project (`injection_payloads_en.py`,
  `injection_payloads_intl.py`), 12 styles × en/es/fr/de/pt/it × paraphrases × fillers × obfuscations
  (leetspeak, homoglyphs, letter spacing, zero-width, case, full-width), planted at the start, middle
  or end of real passages (`injection_data.py`). Hard negatives: patient instructions, contract
  duties and notices in the same six languages, planted the same way.

## Held out (never trained on)
Styles {sorted(HELD_OUT_STYLES)}, language {sorted(HELD_OUT_LANGS)}, the last paraphrase of every
(style, language), a separate set of filler values, and every evaluation-side document.

## Counts
```
{counts}
```

{format_table(meta.get('metrics_model_alone', {'recall': {}, 'false_flags': {}}), 'Model alone (evaluation side)')}

`python bench/injection.py` prints the same for rules alone, model alone and both combined (the
shipped screen), with the time per passage.
"""
    path.write_text(text, encoding="utf-8")
