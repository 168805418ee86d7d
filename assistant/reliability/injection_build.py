"""The whole `assistant injection train` run: build the sets, encode what the cache lacks, fit both
models, standardise and combine them, pick the threshold on calibration passages, evaluate on the
evaluation side (and, with `generalisation`, refit with whole styles / languages left out), then write
injection_head.json, injection_chars.npz, injection_screen.json and the data card into `out_dir`.

Two such screens are fitted: one for English passages (English real passages as negatives and for the
threshold), one for passages in another language (also the non-English prose of injection_foreign).
A single model fitted on both learnt to pass other languages only by missing English payloads
(blind recall 0.781, a role-play payload through); one fitted on English alone withheld 87 % of
ordinary non-English prose. Each passage is scored by the model of its language (is_other_language)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from assistant.reliability import injection_train as T
from assistant.reliability.injection import screen
from assistant.reliability.injection_eval import (
    evaluate,
    generalisation_recall,
    write_card,
)
from assistant.reliability.injection_model import PREFIXES, SCREEN_FORMAT, WindowEncoder
from assistant.reliability.injection_text import is_other_language

WEIGHT_CHARS = 0.5


def _fit_screen(data: T.Data, cache, seed: int, rate: float, exclude_styles=None, exclude_langs=None, log=None,
                foreign: bool = False):
    """Both models and the screen's parameters; returns (chars, head, params). `foreign`: the model for
    passages in other languages, fitted with the non-English prose among its negatives; each model's
    threshold is read on the calibration passages routed to it."""
    log = log if log is not None else []
    label = " (other languages)" if foreign else ""
    chars = T.timed(f"fit n-gram model{label}", log, T.fit_chars, data, exclude_styles, exclude_langs, foreign=foreign)
    head = T.timed(f"fit MiniLM head{label}", log, T.fit_head, data, cache, seed, exclude_styles, exclude_langs,
                   foreign=foreign)
    calib = [t for t in (p.text for p in data.calib + data.foreign_calib) if is_other_language(t) == foreign]
    c, h = chars.passage_logits(calib), T.head_logits(head, cache, calib)
    params = {"format": SCREEN_FORMAT, "chars": {"mu": float(c.mean()), "sd": float(c.std() + 1e-6)},
              "head": {"mu": float(h.mean()), "sd": float(h.std() + 1e-6)}, "w_chars": WEIGHT_CHARS,
              "calibration_passages": len(calib)}
    z = _combine(params, c, h)
    params["threshold"] = T.pick_threshold(z, rate)
    # each model alone at the same calibration rate, for the "model alone" rows of the report
    params["alone"] = {"chars": T.pick_threshold(c, rate), "head": T.pick_threshold(h, rate)}
    return chars, head, params


def _combine(params: dict, c: np.ndarray, h: np.ndarray) -> np.ndarray:
    w = params["w_chars"]
    return (w * (c - params["chars"]["mu"]) / params["chars"]["sd"]
            + (1 - w) * (h - params["head"]["mu"]) / params["head"]["sd"])


def score_all(data: T.Data, cache, screens) -> dict:
    """Flags of every evaluation text under rules, each model alone, and the shipped screen; `screens`:
    ((chars, head, params) for English passages, the same for passages in other languages)."""
    groups = {"planted": [p.text for p in data.eval_planted], "real": [p.text for p in data.evaluation],
              "benign": [t for t, _ in data.eval_benign], "foreign": [p.text for p in data.foreign_eval]}
    out = {}
    for name, texts in groups.items():
        other = np.array([is_other_language(t) for t in texts], bool)
        parts = []
        for chars, head, params in screens:
            c, h = chars.passage_logits(texts), T.head_logits(head, cache, texts)
            parts.append({"chars": c >= params["alone"]["chars"], "head": h >= params["alone"]["head"],
                          "learned": _combine(params, c, h) >= params["threshold"]})
        rules = np.array([bool(screen(t)) for t in texts], bool)
        routed = {k: np.where(other, parts[1][k], parts[0][k]) for k in parts[0]}
        out[name] = {"rules": rules, **routed, "combined": rules | routed["learned"]}
    return out


def _dump(out_dir: Path, prefix: str, chars, head, params: dict, meta: dict) -> None:
    head.meta.update(meta, format="injection-head/1")
    head.dump(out_dir / f"{prefix}head.json")
    chars.meta.update(meta)
    chars.dump(out_dir / f"{prefix}chars.npz")
    (out_dir / f"{prefix}screen.json").write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")


def train(out_dir: Path, root=None, seed: int = 0, cache_dir: Path | None = None, rate: float = 0.0005,
          progress: bool = True, generalisation: bool = True) -> dict:
    started = time.perf_counter()
    log: list[str] = []
    data = T.timed("build sets", log, T.build, root, seed)
    cache = T.WindowCache(cache_dir or T.default_cache(), T.ENCODER)
    T.timed("encode windows", log, T.encode_all, data, cache, WindowEncoder(), seed, progress)
    english = _fit_screen(data, cache, seed, rate, log=log)
    intl = _fit_screen(data, cache, seed, rate, log=log, foreign=True)
    flags = T.timed("score evaluation side", log, score_all, data, cache, (english, intl))
    metrics = {name: evaluate(data, {k: v[name] for k, v in flags.items()})
               for name in ("rules", "chars", "head", "learned", "combined")}
    general = {}
    if generalisation:  # both models refitted without the group, each on its own calibration passages
        for kind, groups in (("style", T.STYLE_GROUPS), ("language", T.LANG_GROUPS)):
            for group in groups:
                ex = dict(exclude_styles=group) if kind == "style" else dict(exclude_langs=group)
                refit = (_fit_screen(data, cache, seed, rate, log=log, **ex),
                         _fit_screen(data, cache, seed, rate, log=log, foreign=True, **ex))
                general.update(generalisation_recall(data, score_all(data, cache, refit), kind, group))
    out_dir.mkdir(parents=True, exist_ok=True)
    command = f"assistant injection train --seed {seed} --max-false-flag-rate {rate}"
    meta = {"seed": seed, "command": command, "counts": data.counts, "log": log,
            "training_seconds": round(time.perf_counter() - started, 1)}
    chars, head, params = english
    params.update(meta, metrics_combined=metrics["combined"], generalisation=general)
    intl[2].update(meta)
    for prefix, (c, h, p) in zip(PREFIXES, ((chars, head, params), intl)):
        _dump(out_dir, prefix, c, h, p, meta)
    write_card(out_dir / "injection_card.md", meta, params, metrics, general, intl[2])
    return {"metrics": metrics, "generalisation": general, "params": params}
