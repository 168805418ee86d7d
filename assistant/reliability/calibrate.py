"""`assistant verifier calibrate`: signals on the dev sets' fit halves → logistic regressions →
calibration.json; balanced accuracy reported on the held-out halves.

Besides the dev-set pairs, the fit data holds synthetic pairs built from the fit halves only: an
evidence sentence copied as the claim (supported) and the same sentence with one number, negation or
name changed (contradicted). The dev sets rarely isolate those failure modes, so without them the
mismatch signals get little weight and a copied-wrong dose would pass on wording alone."""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import random
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from assistant.core.text import content_words
from assistant.embedding.embedder import Embedder
from assistant.reliability.datasets import (
    CONTRADICTED,
    NEI,
    SUPPORTED,
    Example,
    load_contractnli,
    load_healthver,
    split_groups,
)
from assistant.reliability.perturb import KINDS, entity_pool, perturb
from assistant.reliability.signals import (
    COMBINED,
    Features,
    SignalExtractor,
    direction,
    evidence_sentences,
)
from assistant.reliability.verifier import OPTIONAL, Calibration, LinearModel, add_optional

FEATURE_VERSION = 4  # bump when a signal's definition changes: cached features are then recomputed
DATASETS = ("healthver", "contractnli")
# How much the synthetic pairs count next to one dev set. Lower weights buy a little held-out dev-set
# accuracy (HealthVer 0.567 at 1.0, 0.585 at 0.5, 0.589 at 0.25) but let verbatim quotes fall under
# the threshold and swapped names pass (tests/reliability/test_verifier.py); the pipeline's claims are
# answer sentences close to their sources, which is what the synthetic pairs look like.
SYNTHETIC_WEIGHT = 1.0


def _cache_file(cache_dir: Path | None, kind: str, parts: Sequence[str]) -> Path | None:
    if cache_dir is None:
        return None
    digest = hashlib.sha1("\x1f".join([str(FEATURE_VERSION), *parts]).encode()).hexdigest()[:16]
    return cache_dir / f"{kind}-{digest}.json"


def load_dataset(name: str, path: str | Path | None, embedder: Embedder, cache_dir: Path | None) -> list[Example]:
    """A dev set's examples; ContractNLI's retrieved evidence is cached (it embeds every span)."""
    if name == "healthver":
        return load_healthver(path)
    from assistant.reliability.datasets import default_path

    source = Path(path or default_path(name))
    stat = source.stat() if source.is_file() else None
    cached = _cache_file(cache_dir, name, [str(source.resolve()), str(stat and stat.st_size), str(stat and stat.st_mtime)])
    if cached and cached.is_file():
        return [Example(**e) for e in json.loads(cached.read_text())]
    examples = load_contractnli(source, embedder)
    if cached:
        cached.parent.mkdir(parents=True, exist_ok=True)
        cached.write_text(json.dumps([e.__dict__ for e in examples]))
    return examples


def synthetic(examples: Sequence[Example], seed: int = 0, per_example: int = 1) -> list[Example]:
    """Copied evidence sentences (supported) and their one-change perturbations (contradicted)."""
    rng = random.Random(seed)
    pool = entity_pool([p for e in examples for p in e.evidence][:3000])
    out = []
    for e in examples:
        sentences = [s for p in e.evidence for s in evidence_sentences(p) if 6 <= len(content_words(s)) <= 40]
        for n, sentence in enumerate(rng.sample(sentences, min(per_example, len(sentences)))):
            base = f"{e.id}-syn{n}"
            out.append(Example(base, sentence, e.evidence, SUPPORTED, e.group, "", "synthetic"))
            for kind in KINDS:
                changed = perturb(sentence, kind, pool, rng)
                if changed and changed != sentence:
                    out.append(Example(f"{base}-{kind}", changed, e.evidence, CONTRADICTED, e.group, "", "synthetic",
                                       {"kind": kind}))
    return out


def borrowed(examples: Sequence[Example], seed: int = 0) -> list[Example]:
    """A sentence from another pair's evidence on the same topic / document, against this evidence
    (not enough information): related wording, but not what this evidence says. It teaches the
    combination that sentence-level alignment matters, which whole-passage similarity blurs."""
    rng = random.Random(seed + 1)
    by_group: dict[str, list[Example]] = {}
    for e in examples:
        by_group.setdefault(e.group, []).append(e)
    out = []
    for e in examples:
        own = " ".join(e.evidence)
        others = [s for o in by_group[e.group] if o.evidence != e.evidence for p in o.evidence
                  for s in evidence_sentences(p) if 6 <= len(content_words(s)) <= 40 and s not in own]
        if others:
            out.append(Example(f"{e.id}-borrowed", rng.choice(others), e.evidence, NEI, e.group, "", "synthetic"))
    return out


def compute_features(examples: Sequence[Example], extractor: SignalExtractor, optional: dict,
                     cache_dir: Path | None, progress: Callable[[str], None] = lambda s: None) -> list[Features]:
    """Signals for every example (cheap ones cached by content; optional scorers added on top)."""
    key = [e.id + "\x1e" + e.claim + "\x1e" + "\x1d".join(e.evidence) + "\x1e" + e.question for e in examples]
    cached = _cache_file(cache_dir, "features", [hashlib.sha1("\n".join(key).encode()).hexdigest()])
    if cached and cached.is_file():
        feats = [Features(f["values"], f["evidence"]) for f in json.loads(cached.read_text())]
    else:
        progress(f"computing signals for {len(examples)} pairs")
        feats = []
        for b in range(0, len(examples), 512):
            chunk = examples[b:b + 512]
            feats += extractor.extract_pairs([e.claim for e in chunk], [e.evidence for e in chunk],
                                             [e.question for e in chunk])
        if cached:
            cached.parent.mkdir(parents=True, exist_ok=True)
            cached.write_text(json.dumps([{"values": f.values, "evidence": f.evidence} for f in feats]))
    if optional:
        progress(f"scoring {len(examples)} pairs with the {', '.join(optional)} model(s)")
        # Dev-set claims are statements, not answers to their topic's question: judged bare.
        add_optional(optional, feats, [e.claim for e in examples], [e.evidence for e in examples])
    return feats


def balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None = None) -> float:
    y_true, y_pred = np.asarray(y_true, bool), np.asarray(y_pred, bool)
    w = np.ones(len(y_true)) if weight is None else weight
    recalls = [np.sum(w[y_true == c] * (y_pred[y_true == c] == c)) / np.sum(w[y_true == c])
               for c in (True, False) if np.any(y_true == c)]
    return float(np.mean(recalls))


def best_threshold(scores: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None) -> float:
    """The cut (score >= t → positive) with the highest balanced accuracy on these examples."""
    candidates = np.unique(np.quantile(scores, np.linspace(0, 1, 201)))
    accs = [balanced_accuracy(y, scores >= t, weight) for t in candidates]
    return float(candidates[int(np.argmax(accs))])


def fit_logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, names: Sequence[str], c: float = 1.0) -> LinearModel:
    """Weighted, L2-regularised logistic regression on standardised features whose coefficients keep
    each signal's known direction (signals.direction): a bounded L-BFGS fit, which scikit-learn's
    LogisticRegression cannot constrain."""
    from scipy.optimize import minimize

    mean, scale = x.mean(0), x.std(0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    t = np.where(np.asarray(y, bool), 1.0, -1.0)
    w = weight / weight.sum()

    def loss(params: np.ndarray) -> tuple[float, np.ndarray]:
        margin = t * (z @ params[:-1] + params[-1])
        value = np.sum(w * np.logaddexp(0, -margin)) + 0.5 / (c * len(y)) * params[:-1] @ params[:-1]
        g = -w * t / (1 + np.exp(margin))
        grad = np.append(z.T @ g + params[:-1] / (c * len(y)), g.sum())
        return float(value), grad

    bounds = [(0, None) if direction(n) > 0 else (None, 0) for n in names] + [(None, None)]
    result = minimize(loss, np.zeros(len(names) + 1), jac=True, method="L-BFGS-B", bounds=bounds)
    return LinearModel(tuple(names), mean, scale, result.x[:-1], float(result.x[-1]))


def _weights(examples: Sequence[Example], positive: np.ndarray) -> np.ndarray:
    """Each source (dataset or synthetic) counts equally, and within a source both classes do."""
    w = np.zeros(len(examples))
    sources = np.array([e.source for e in examples])
    for s in set(sources):
        for c in (True, False):
            mask = (sources == s) & (positive == c)
            if mask.any():
                w[mask] = (SYNTHETIC_WEIGHT if s == "synthetic" else 1.0) / mask.sum()
    return w * len(examples) / w.sum()


def fit_calibration(name: str, names: Sequence[str], fit: Sequence[Example], feats: Sequence[Features]) -> Calibration:
    x = np.stack([f.vector(names) for f in feats])
    supported = np.array([e.label == SUPPORTED for e in fit])
    w = _weights(fit, supported)
    support = fit_logistic(x, supported, w, names)
    threshold = best_threshold(support.probability(x), supported, w)
    rest = ~supported
    contra_y = np.array([e.label == CONTRADICTED for e in fit])[rest]
    rest_examples = [e for e, r in zip(fit, rest) if r]
    wc = _weights(rest_examples, contra_y)
    contra = fit_logistic(x[rest], contra_y, wc, names)
    contra_threshold = best_threshold(contra.probability(x[rest]), contra_y, wc)
    return Calibration(name, support, contra, threshold, contra_threshold)


def calibration_json(calibrations: Sequence[Calibration], report: dict) -> dict:
    return {"format": 1, "date": _dt.date.today().isoformat(),
            "note": "fitted by `assistant verifier calibrate`; models[] in order of preference: the first whose "
                    "optional signals are available is used",
            "models": [{"name": c.name, "supported": c.supported.to_json(), "contradicted": c.contradicted.to_json(),
                        "thresholds": {"supported": round(c.support_threshold, 6),
                                       "contradicted": round(c.contradiction_threshold, 6)}} for c in calibrations],
            **report}


def prepare(paths: dict[str, str | None], embedder: Embedder, cache_dir: Path | None, seed: int = 0,
            progress: Callable[[str], None] = lambda s: None) -> dict[str, tuple[list[Example], list[Example]]]:
    """{dataset: (fit half, held-out half)} for the datasets in `paths`."""
    out = {}
    for name, path in paths.items():
        progress(f"loading {name}")
        out[name] = split_groups(load_dataset(name, path, embedder, cache_dir), seed)
    return out


def run_calibration(paths: dict[str, str | None], embedder: Embedder, optional: dict, cache_dir: Path | None,
                    seed: int = 0, progress: Callable[[str], None] = lambda s: None) -> tuple[list[Calibration], dict]:
    """Fits one calibration with every available optional signal (when any) and one with the cheap
    signals alone (always: the fallback where those models are absent); returns them and a report."""
    extractor = SignalExtractor(embedder)
    halves = prepare(paths, embedder, cache_dir, seed, progress)
    fit = [e for f, _ in halves.values() for e in f]
    fit_all, extra = fit + synthetic(fit, seed), borrowed(fit, seed)
    # Two calls, two cache entries: adding a kind of synthetic pair does not recompute the others.
    fit_feats = (compute_features(fit_all, extractor, optional, cache_dir, progress)
                 + compute_features(extra, extractor, optional, cache_dir, progress))
    fit_all = fit_all + extra
    held = {name: (h, compute_features(h, extractor, optional, cache_dir, progress)) for name, (_, h) in halves.items()}
    variants = [("with-" + "+".join(optional), list(COMBINED) + list(optional))] if optional else []
    variants.append(("cheap", list(COMBINED)))
    calibrations, report = [], {"data": {}, "held_out_balanced_accuracy": {}}
    for name, _ in halves.items():
        f, h = halves[name]
        report["data"][name] = {"path": str(paths[name] or "default"), "fit": len(f), "held_out": len(h),
                                "split": f"by {'topic' if name == 'healthver' else 'document'}, seed {seed}"}
    report["data"]["synthetic"] = {"fit": len(fit_all) - len(fit), "from": "fit-half evidence sentences"}
    for vname, names in variants:
        cal = fit_calibration(vname, names, fit_all, fit_feats)
        calibrations.append(cal)
        for name, (examples, feats) in held.items():
            x = np.stack([f.vector(names) for f in feats])
            y = np.array([e.label == SUPPORTED for e in examples])
            pred = cal.supported.probability(x) >= cal.support_threshold
            report["held_out_balanced_accuracy"].setdefault(vname, {})[name] = round(balanced_accuracy(y, pred), 4)
    return calibrations, report


def optional_scorers(verifier_settings, names: Sequence[str]) -> dict:
    from assistant.reliability.verifier import Verifier

    available = Verifier(verifier_settings).available()
    return {n: available[n] for n in OPTIONAL if n in names and n in available}
