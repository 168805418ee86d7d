"""Figures for the injection screen: recall on planted evaluation passages (the acceptance figure on the
held-out paraphrases; the seen paraphrases with new fillers and carriers beside it; per style,
language, obfuscation and position) and false flags on real evaluation-side passages per corpus and on
benign hard negatives per language, always as count / denominator. Also the generalisation figures
(recall on whole styles / languages that training left out) and the data card."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Sequence

ACCEPT = "held-out paraphrase"
SEEN = "seen paraphrase, new fillers and carriers"


def _rate(flags: Sequence[bool]) -> dict:
    n, k = len(flags), int(sum(bool(f) for f in flags))
    return {"flagged": k, "total": n, "rate": round(k / n, 5) if n else None}


def evaluate(data, flags: dict) -> dict:
    """`flags`: {"planted", "real", "benign", "foreign"} arrays aligned with data.eval_planted / evaluation /
    eval_benign / foreign_eval."""
    groups: dict[str, dict[str, list[bool]]] = defaultdict(lambda: defaultdict(list))
    for p, f in zip(data.eval_planted, flags["planted"]):
        part = groups[ACCEPT if p.held_out_paraphrase else SEEN]
        for key in ("overall", f"style:{p.style}", f"lang:{p.lang}", f"obfuscation:{p.obfuscation}",
                    f"position:{p.position}"):
            part[key].append(bool(f))
    negatives: dict[str, list[bool]] = defaultdict(list)
    for p, f in zip(data.evaluation, flags["real"]):
        negatives[p.corpus].append(bool(f))
        negatives["real (all corpora)"].append(bool(f))
    for p, f in zip(data.foreign_eval, flags.get("foreign", ())):
        negatives[f"non-English prose:{p.corpus.split('-')[-1]}"].append(bool(f))
        negatives["non-English prose (all)"].append(bool(f))
    for (_, lang), f in zip(data.eval_benign, flags["benign"]):
        negatives[f"hard negatives:{lang}"].append(bool(f))
        negatives["hard negatives (all)"].append(bool(f))
    return {"recall": {part: {k: _rate(v) for k, v in sorted(g.items())} for part, g in groups.items()},
            "false_flags": {k: _rate(v) for k, v in sorted(negatives.items())}}


def generalisation_recall(data, flags: dict, kind: str, group: Sequence[str]) -> dict:
    """Recall on every evaluation passage of the left-out styles / languages (all paraphrases), per
    member, with the false flags of that refitted screen on the real passages."""
    out = {}
    attr = "style" if kind == "style" else "lang"
    for member in group:
        sel = [bool(f) for p, f in zip(data.eval_planted, flags["planted"]["combined"]) if getattr(p, attr) == member]
        out[f"{kind}:{member}"] = {**_rate(sel), "false_flags": _rate(flags["real"]["combined"])}
    return out


def format_table(metrics: dict, title: str) -> str:
    lines = [f"## {title}", "", f"| group | recall, {ACCEPT} | recall, {SEEN} |", "|---|---|---|"]
    a, s = metrics["recall"].get(ACCEPT, {}), metrics["recall"].get(SEEN, {})
    for key in sorted(set(a) | set(s), key=lambda k: (k != "overall", k)):
        cells = [f"{r['rate']:.3f} ({r['flagged']}/{r['total']})" if (r := part.get(key)) and r["total"] else "-"
                 for part in (a, s)]
        lines.append(f"| {key} | {cells[0]} | {cells[1]} |")
    lines += ["", "| negatives | false flags | rate |", "|---|---|---|"]
    lines += [f"| {k} | {r['flagged']}/{r['total']} | {r['rate']:.4%} |" for k, r in metrics["false_flags"].items()]
    return "\n".join(lines)


def summary(metrics: dict) -> str:
    r, f = metrics["recall"][ACCEPT]["overall"], metrics["false_flags"]["real (all corpora)"]
    return f"recall {r['rate']:.3f} ({r['flagged']}/{r['total']}), false flags {f['flagged']}/{f['total']} ({f['rate']:.4%})"


def format_generalisation(general: dict) -> str:
    lines = ["| left out of training | recall (all paraphrases) | false flags, real |", "|---|---|---|"]
    for key, r in general.items():
        ff = r["false_flags"]
        lines.append(f"| {key} | {r['rate']:.3f} ({r['flagged']}/{r['total']}) | {ff['flagged']}/{ff['total']} |")
    return "\n".join(lines)


def write_card(path: Path, meta: dict, params: dict, metrics: dict, general: dict, intl: dict) -> None:
    """The data card beside the shipped weights: sources, licences, counts, seed, command, metrics."""
    rows = "\n".join(f"- {name}: {summary(m)}" for name, m in metrics.items())
    text = f"""# Injection screen: data card

Written by `{meta['command']}` ({meta['training_seconds']} s on CPU, seed {meta['seed']}; encoded windows
are cached per text, so a rerun encodes only what is missing). Files: `injection_chars.npz` (logistic
regression over hashed character 2-5-grams and word pairs of the de-obfuscated windows), `injection_head.json` (MLP
384 -> 128 -> 1 over bundled MiniLM window vectors), `injection_screen.json` (standardisation of the
two passage logits on calibration passages, weight {params['w_chars']}, threshold {params['threshold']:.3f}:
calibration false flags at or under the target rate, over {params['calibration_passages']} English calibration passages);
the same three files prefixed `injection_intl_` for passages in another language (fitted with the
non-English prose below among its negatives, threshold {intl['threshold']:.3f} over {intl['calibration_passages']}
calibration passages in other languages). Each passage is scored by the model of its language (a
stop-word count, `injection_text.is_other_language`). Shipped screen = phrase rules OR learned.

## Sources and licences
- Real passages (negatives, carriers): the shared corpora read by the project's connectors and cut by its
  chunker (`injection_corpus.py`): MedQuAD (CC BY 4.0), CUAD (CC BY 4.0), PubMedQA (MIT), ContractNLI
  (CC BY 4.0), USLM bills (US public domain). Documents are split train / evaluation by a hash of their
  id; training-side documents are split again into fitting and calibration (3 in 10). No corpus text
  ships, only weights.
- Planted instructions, written for this project: hand-written templates (`injection_payloads_en.py`,
  `injection_payloads_intl.py`: 12 styles, en/es/fr/de/pt/it, 7 or 4 paraphrases) and a compositional
  grammar used for training only (`injection_grammar*.py`); obfuscations leetspeak, homoglyphs, letter
  spacing, zero-width, case, full-width; planted at the start, middle or end of a passage. Hard
  negatives: benign instructions to patients and contracting parties in the same languages, and (training
  only) the payloads' content stated plainly with nobody addressed ("The usual starting dose of X is Y").
- Ordinary non-English prose (negatives and calibration): the Debian Reference's German, Spanish, French,
  Italian and Portuguese translations (Osamu Aoki and translators, GPL-2+), as Debian's
  `debian-reference-<lang>` packages install them (`injection_foreign.py`: prose paragraphs of each
  numbered section, untranslated paragraphs dropped), split train / evaluation by section. A manual full
  of imperatives to the reader, the kind of text the screen must pass. Only weights ship; no text.

## Split
Training: every template but the last paraphrase of each (style, language) and the grammar, with the
training filler values, in training-side documents; grammar sentences sharing a five-word run with a
held-out paraphrase are dropped. Evaluation: every template with the held-out filler values in
evaluation-side documents; the acceptance figure is recall on the held-out paraphrases. The held-out
paraphrases (the 7th English / 4th other-language one of each style) were written after the previous
screen's figures were read and before this one was trained: a blind set for this run.

## Counts
```
{meta['counts']}
```

## Results (evaluation side)
{rows}

{format_table(metrics['combined'], 'Shipped screen (rules OR learned)')}

## Generalisation: whole styles / languages left out of training (refitted, same threshold rule)
{format_generalisation(general) if general else 'not run'}

## How far to trust these figures
Nothing on the evaluation side was trained on, and the held-out paraphrases were new to this run (see
Split); the design (grammar, benign lexicons, de-spacing, word pairs, the combination) was settled over
earlier runs whose evaluation figures were read. English held-out paraphrases are the weakest group;
the n-gram model carries most of the recall and the MiniLM head alone is weak.

Why recall fell from the previous screen's 0.889: that screen, trained and calibrated on English
passages only, withheld 1,359 of these 1,556 evaluation-side non-English prose passages (87 %), so every
non-English payload in a non-English carrier was "caught" because the carrier was not English, and a
Spanish or German knowledge base would have had nearly every passage withheld. Now a passage in another
language is scored by a model fitted with real non-English prose among its negatives and calibrated on
it: that prose passes (the "non-English prose" rows), English passages are scored exactly as before,
and the recall lost is on payloads hidden in non-English passages (the de / es / it rows).

Measured and not shipped: (0) one model for all passages, fitted with the non-English prose among its
negatives and calibrated on both: blind recall 0.781 at 8/10,127 real and 4/1,556 non-English false
flags, but 4/20 English hard negatives flagged and a role-play payload through to an answer in the
end-to-end test (English recall paid for the other languages). (1) MiniLM with its top two layers fine-tuned with the window head on batches
mixing planted, benign, English and non-English passages (1,000 steps of 32, 35 min on 2 cores), combined
with the n-gram model: blind recall 0.705-0.747 at 4-8/10,127 real and 0-1/1,556 non-English false flags,
0.84 even at a threshold read off the evaluation side itself (10 real false flags); no better than the
frozen head. (2) The single model of (0) with a separate threshold for passages in another language:
0.743 at 12 real false flags. (3) The earlier fine-tune without non-English prose: 0.948-0.958 blind, but it flagged half
the non-English hard negatives, so it shared the old screen's flaw.

`python bench/injection.py` prints these figures for rules alone, each model alone and the combination,
with the time per passage.
"""
    path.write_text(text, encoding="utf-8")
