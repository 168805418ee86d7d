"""Verifier benchmark on the shared dev sets (held-out halves: topics / documents never used to fit).

    python bench/verify.py [--json OUT.json] [--originals 300]

1. Balanced accuracy (supported vs not) on the HealthVer / ContractNLI held-out halves of each signal
   alone (cut and direction chosen on the fit half), of the verifier in use (the cross-encoder stacked
   with the cheap signals), of today's cheap-signal combination, and of a plain cosine baseline; the
   ECE of the shown confidence (10 equal-width bins).
2. The cross-encoder alone on the held-out part of every shared NLI set and of the CUAD / MedQuAD
   constructions (an LLM-AggreFact-style table; a seeded sample per set), at its 0.5 threshold.
3. Perturbations of MedQuAD answer sentences (number, negation, name, unit, antonym), evidence = the
   whole answer: detection rate at the score cut that falsely flags 5 % of the unchanged sentences.
4. Speed: checking a 3-sentence answer over 4 demo passages, p50 / p95 of repeated runs.
Targets (issue 17): HealthVer >= 0.75 and ContractNLI >= 0.73; perturbations >= 95 % at 5 % false
flags; ECE <= 0.10; p50 <= 0.5 s."""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import content_words, numbers  # noqa: E402
from assistant.reliability.calibrate import (  # noqa: E402
    balanced_accuracy,
    best_threshold,
    compute_features,
    prepare,
)
from assistant.reliability.datasets import SUPPORTED, load_medquad_answers  # noqa: E402
from assistant.reliability.perturb import KINDS, entity_pool, perturb  # noqa: E402
from assistant.reliability.signals import evidence_sentences  # noqa: E402
from assistant.reliability.verifier import (  # noqa: E402
    Verifier,
    load_calibrations,
    trained_verifier_dir,
)

ECE_BINS = 10


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def cosine(verifier: Verifier, examples) -> np.ndarray:
    claims = verifier.embedder.encode([e.claim for e in examples])
    evidence = verifier.embedder.encode([" ".join(e.evidence) for e in examples])
    return np.einsum("ij,ij->i", claims, evidence)


def pair_head(verifier: Verifier, fit, held, y_fit: np.ndarray, y_held: np.ndarray) -> float:
    """A learned head on frozen MiniLM embeddings, [u, v, |u-v|, u*v] (the SBERT NLI head) + logistic
    regression fit on the fit half: what a per-dataset learned verifier reaches without an NLI model.
    Reported only, not used by the answer checks: on ContractNLI it mostly learns which of the 17 fixed
    hypotheses tend to hold, which says nothing about an answer sentence."""
    from sklearn.linear_model import LogisticRegression

    def pairs(examples):
        u = verifier.embedder.encode([e.claim for e in examples])
        v = verifier.embedder.encode([" ".join(e.evidence) for e in examples])
        return np.hstack([u, v, np.abs(u - v), u * v])

    model = LogisticRegression(C=1.0, max_iter=5000, class_weight="balanced").fit(pairs(fit), y_fit)
    return balanced_accuracy(y_held, model.predict(pairs(held)))


def signal_alone(fit_x: np.ndarray, fit_y: np.ndarray, x: np.ndarray, y: np.ndarray) -> float:
    """Held-out balanced accuracy of one signal, its direction and cut chosen on the fit half."""
    best = max(((balanced_accuracy(fit_y, s * fit_x >= best_threshold(s * fit_x, fit_y)), s) for s in (1, -1)))
    sign = best[1]
    return balanced_accuracy(y, sign * x >= best_threshold(sign * fit_x, fit_y))


def ece(probability: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    """Expected calibration error: |mean confidence - accuracy| per equal-width bin, weighted by size."""
    edges = np.minimum((probability * bins).astype(int), bins - 1)
    return float(sum(abs(probability[edges == b].mean() - y[edges == b].mean()) * (edges == b).mean()
                     for b in range(bins) if (edges == b).any()))


def dev_sets(verifier: Verifier, args, cache: Path | None) -> dict:
    cal = verifier.calibration
    cheap = next(c for c in load_calibrations(verifier.config.calibration or None) if c.name == "cheap")
    halves = prepare({"healthver": args.healthver, "contractnli": args.contractnli}, verifier.embedder, cache, 0, log)
    results = {}
    for name, (fit, held) in halves.items():
        log(f"{name}: {len(fit)} fit / {len(held)} held-out pairs")
        feats = {side: compute_features(ex, verifier.extractor, verifier.optional_scorers, cache, log)
                 for side, ex in (("fit", fit), ("held", held))}
        y = {side: np.array([e.label == SUPPORTED for e in ex]) for side, ex in (("fit", fit), ("held", held))}
        x = {side: np.stack([f.vector(cal.features) for f in feats[side]]) for side in feats}
        row = {"signals": {}}
        for k, feature in enumerate(cal.features):
            row["signals"][feature] = round(signal_alone(x["fit"][:, k], y["fit"], x["held"][:, k], y["held"]), 4)
        cos_fit, cos_held = cosine(verifier, fit), cosine(verifier, held)
        row["cosine_baseline"] = round(balanced_accuracy(y["held"], cos_held >= best_threshold(cos_fit, y["fit"])), 4)
        scores = cal.supported.probability(x["held"])
        row["combination"] = round(balanced_accuracy(y["held"], scores >= cal.support_threshold), 4)
        row["gain_over_cosine"] = round(row["combination"] - row["cosine_baseline"], 4)
        row["ece"] = round(ece(scores, y["held"]), 4)
        x_cheap = np.stack([f.vector(cheap.features) for f in feats["held"]])
        row["cheap_combination"] = round(balanced_accuracy(
            y["held"], cheap.supported.probability(x_cheap) >= cheap.support_threshold), 4)
        if "ce" in cal.features:
            ce = np.array([f.values["ce"] for f in feats["held"]])
            row["cross_encoder_alone"] = round(balanced_accuracy(y["held"], ce >= 0.5), 4)
        row["pair_head"] = round(pair_head(verifier, fit, held, y["fit"], y["held"]), 4)
        row["held_out"], row["fit"] = len(held), len(fit)
        results[name] = row
    return results


def medquad_items(args) -> list[tuple[str, str, str]]:
    """(original sentence, kind or '', evidence) with each original followed by its perturbations."""
    rng = random.Random(0)
    answers = load_medquad_answers(args.medquad, limit_files=args.files)
    pool = entity_pool([a for _, a in answers])
    rng.shuffle(answers)
    items, originals = [], 0
    for _, answer in answers:
        if originals >= args.originals:
            break
        answer = " ".join(answer.split())[: args.evidence_chars]
        candidates = [s for s in evidence_sentences(answer) if 8 <= len(content_words(s)) <= 35 and s[-1:] in ".!?"]
        # Sentences with something to get wrong: a number, a negatable verb, a name.
        candidates = [s for s in candidates if numbers(s) or perturb(s, "negation", pool, rng) or
                      perturb(s, "entity", pool, rng)]
        if not candidates:
            continue
        sentence = rng.choice(candidates)
        items.append((sentence, "", answer))
        originals += 1
        for kind in KINDS:
            changed = perturb(sentence, kind, pool, rng)
            if changed and changed != sentence:
                items.append((changed, kind, answer))
    return items


def perturbations(verifier: Verifier, args) -> dict:
    items = medquad_items(args)
    log(f"medquad: {sum(1 for i in items if not i[1])} originals, {sum(1 for i in items if i[1])} perturbations")
    verdicts = []
    for b in range(0, len(items), 256):
        chunk = items[b:b + 256]
        verdicts += verifier.score_pairs([c for c, _, _ in chunk], [e for _, _, e in chunk])
    scores = np.array([v.score for v in verdicts])
    kinds = np.array([k for _, k, _ in items])
    original = scores[kinds == ""]
    cut = float(np.quantile(original, 0.05))
    out = {"originals": int(len(original)), "cut_at_5pct_false_flags": round(cut, 4),
           "false_flags_at_cut": round(float(np.mean(original < cut)), 4), "detection": {}, "count": {},
           "calibrated_threshold": {"threshold": verifier.threshold,
                                    "false_flags": round(float(np.mean(original < verifier.threshold)), 4),
                                    "detection": {}}}
    for kind in (*KINDS, "all"):
        mask = kinds != "" if kind == "all" else kinds == kind
        out["count"][kind] = int(mask.sum())
        out["detection"][kind] = round(float(np.mean(scores[mask] < cut)), 4) if mask.any() else None
        out["calibrated_threshold"]["detection"][kind] = (round(float(np.mean(scores[mask] < verifier.threshold)), 4)
                                                          if mask.any() else None)
    out["examples_missed"] = [items[i][0] for i in np.flatnonzero((kinds != "") & (scores >= cut))[:8]]
    return out


def nli_table(verifier: Verifier, args) -> dict:
    """The cross-encoder alone at 0.5 on each set's held-out part (the same sample training reports)."""
    from assistant.reliability.train import held_out_report
    from assistant.reliability.verifier_pairs import build_pairs

    scorer = verifier.optional_scorers.get("ce")
    if scorer is None:
        return {}
    pairs = build_pairs(args.data, log)
    return held_out_report(scorer._tok, scorer._model, pairs, scorer.max_length, args.nli_sample)


def speed(verifier: Verifier, repeats: int) -> dict:
    """A 3-sentence answer over 4 demo passages, checked as the pipeline checks it (score_matrix)."""
    corpus = ROOT / "assistant" / "demo" / "corpus" / "health"
    passages = [" ".join(p.read_text(encoding="utf-8").split())[:700] for p in sorted(corpus.glob("*.md"))[:4]]
    claims = ["Metformin is usually the first medicine for type 2 diabetes.",
              "It can rarely cause lactic acidosis.", "People with severe kidney disease should not take it."]
    question = "Is there a rare but dangerous side effect I should know about with metformin?"
    verifier.score_matrix(claims, passages, question)
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        verifier.score_matrix(claims, passages, question)
        times.append(time.perf_counter() - t)
    return {"p50_s": round(float(np.median(times)), 3), "p95_s": round(float(np.quantile(times, 0.95)), 3),
            "runs": repeats}


def table(report: dict) -> str:
    dev = report["dev_sets"]
    names = list(dev)
    signals = list(next(iter(dev.values()))["signals"])
    lines = [f"{'balanced accuracy (held-out)':<32}" + "".join(f"{n:>14}" for n in names)]
    for s in signals:
        lines.append(f"  signal {s:<24}" + "".join(f"{dev[n]['signals'][s]:>14.3f}" for n in names))
    for key, label in (("cosine_baseline", "cosine baseline"), ("cheap_combination", "today's cheap combination"),
                       ("cross_encoder_alone", "cross-encoder alone (0.5)"),
                       ("combination", f"verifier in use ({report['calibration']})"),
                       ("gain_over_cosine", "gain over cosine"), ("ece", "ECE of the confidence"),
                       ("pair_head", "learned pair head (not used)")):
        if all(key in dev[n] for n in names):
            lines.append(f"{label:<32}" + "".join(f"{dev[n][key]:>14.3f}" for n in names))
    if report.get("nli"):
        lines.append("\ncross-encoder alone, held-out parts (balanced accuracy at 0.5; accuracy where one class):")
        for source, r in report["nli"].items():
            value = r["balanced_accuracy"] if r["balanced_accuracy"] is not None else r["accuracy"]
            kind = "bal. acc." if r["balanced_accuracy"] is not None else "accuracy"
            lines.append(f"  {source:<24} n={r['pairs']:<5} {kind} {value:.3f}")
    if report.get("speed"):
        sp = report["speed"]
        lines.append(f"\n3-sentence answer over 4 passages: p50 {sp['p50_s']:.3f} s, p95 {sp['p95_s']:.3f} s "
                     f"({sp['runs']} runs)")
    p = report["perturbations"]
    lines.append(f"\nMedQuAD perturbations: {p['originals']} originals; cut {p['cut_at_5pct_false_flags']:.3f} "
                 f"(5 % false flags); calibrated threshold {p['calibrated_threshold']['threshold']:.3f} "
                 f"({p['calibrated_threshold']['false_flags']:.1%} false flags)")
    for kind, rate in p["detection"].items():
        at_thr = p["calibrated_threshold"]["detection"][kind]
        lines.append(f"  {kind:<10} n={p['count'][kind]:<5} detected {rate:.1%} at 5 % false flags, "
                     f"{at_thr:.1%} at the calibrated threshold" if rate is not None else f"  {kind:<10} n=0")
    return "\n".join(lines)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--healthver")
    p.add_argument("--contractnli")
    p.add_argument("--medquad")
    p.add_argument("--originals", type=int, default=300, help="MedQuAD sentences perturbed")
    p.add_argument("--files", type=int, default=800, help="MedQuAD XML files read")
    p.add_argument("--evidence-chars", type=int, default=3000, help="answer passages cut to this length")
    p.add_argument("--data", help="the shared data folder, for the NLI table (default ../shared/data)")
    p.add_argument("--nli-sample", type=int, default=500, help="held-out pairs scored per NLI set (0: skip)")
    p.add_argument("--speed-runs", type=int, default=30)
    p.add_argument("--no-cache", action="store_true")
    p.add_argument("--json", help="write the report here")
    args = p.parse_args()
    started = time.time()
    settings = Settings.load()
    verifier = Verifier(settings)
    verifier.warm_up()
    cache = None if args.no_cache else trained_verifier_dir(settings) / "features"
    report = {"calibration": verifier.calibration.name, "features": list(verifier.calibration.features)}
    report["dev_sets"] = dev_sets(verifier, args, cache)
    report["perturbations"] = perturbations(verifier, args)
    report["nli"] = nli_table(verifier, args) if args.nli_sample else {}
    report["speed"] = speed(verifier, args.speed_runs)
    dev = report["dev_sets"]
    report["targets"] = {"healthver_ge_0.75": dev["healthver"]["combination"] >= 0.75,
                         "contractnli_ge_0.73": dev["contractnli"]["combination"] >= 0.73,
                         "perturbation_detection_ge_0.95": (report["perturbations"]["detection"]["all"] or 0) >= 0.95,
                         "ece_le_0.10": all(r["ece"] <= 0.10 for r in dev.values()),
                         "p50_le_0.5s": report["speed"]["p50_s"] <= 0.5}
    report["seconds"] = round(time.time() - started, 1)
    print(table(report))
    print(f"targets: {report['targets']}")
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
