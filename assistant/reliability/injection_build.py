"""The whole `assistant injection train` run: build the sets, encode what the cache lacks, fit both
models, standardise and combine them, pick the threshold on calibration passages, evaluate on the
evaluation side (and, with `generalisation`, refit with whole styles / languages left out), then write
injection_head.json, injection_chars.npz, injection_screen.json and the data card into `out_dir`."""

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
from assistant.reliability.injection_model import (
    DEFAULT_SCREEN,
    SCREEN_FORMAT,
    WindowEncoder,
)

WEIGHT_CHARS = 0.5


def _fit_screen(data: T.Data, cache, seed: int, rate: float, exclude_styles=None, exclude_langs=None, log=None):
    """Both models and the screen's parameters; returns (chars, head, params, calibration figures)."""
    log = log if log is not None else []
    chars = T.timed("fit n-gram model", log, T.fit_chars, data, exclude_styles, exclude_langs)
    head = T.timed("fit MiniLM head", log, T.fit_head, data, cache, seed, exclude_styles, exclude_langs)
    calib = [p.text for p in data.calib]
    c, h = chars.passage_logits(calib), T.head_logits(head, cache, calib)
    params = {"format": SCREEN_FORMAT, "chars": {"mu": float(c.mean()), "sd": float(c.std() + 1e-6)},
              "head": {"mu": float(h.mean()), "sd": float(h.std() + 1e-6)}, "w_chars": WEIGHT_CHARS}
    z = _combine(params, c, h)
    params["threshold"] = T.pick_threshold(z, rate)
    # each model alone at the same calibration rate, for the "model alone" rows of the report
    params["alone"] = {"chars": T.pick_threshold(c, rate), "head": T.pick_threshold(h, rate)}
    return chars, head, params


def _combine(params: dict, c: np.ndarray, h: np.ndarray) -> np.ndarray:
    w = params["w_chars"]
    return (w * (c - params["chars"]["mu"]) / params["chars"]["sd"]
            + (1 - w) * (h - params["head"]["mu"]) / params["head"]["sd"])


def score_all(data: T.Data, cache, chars, head, params: dict) -> dict:
    """Flags of every evaluation text under rules, each model alone, and the shipped screen."""
    groups = {"planted": [p.text for p in data.eval_planted], "real": [p.text for p in data.evaluation],
              "benign": [t for t, _ in data.eval_benign]}
    out = {}
    for name, texts in groups.items():
        c, h = chars.passage_logits(texts), T.head_logits(head, cache, texts)
        rules = np.array([bool(screen(t)) for t in texts])
        learned = _combine(params, c, h) >= params["threshold"]
        out[name] = {"rules": rules, "chars": c >= params["alone"]["chars"], "head": h >= params["alone"]["head"],
                     "learned": learned, "combined": rules | learned}
    return out


def train(out_dir: Path, root=None, seed: int = 0, cache_dir: Path | None = None, rate: float = 0.0005,
          progress: bool = True, generalisation: bool = True) -> dict:
    started = time.perf_counter()
    log: list[str] = []
    data = T.timed("build sets", log, T.build, root, seed)
    cache = T.WindowCache(cache_dir or T.default_cache(), T.ENCODER)
    T.timed("encode windows", log, T.encode_all, data, cache, WindowEncoder(), seed, progress)
    chars, head, params = _fit_screen(data, cache, seed, rate, log=log)
    flags = T.timed("score evaluation side", log, score_all, data, cache, chars, head, params)
    metrics = {name: evaluate(data, {k: v[name] for k, v in flags.items()})
               for name in ("rules", "chars", "head", "learned", "combined")}
    general = {}
    if generalisation:
        for kind, groups in (("style", T.STYLE_GROUPS), ("language", T.LANG_GROUPS)):
            for group in groups:
                ex = dict(exclude_styles=group) if kind == "style" else dict(exclude_langs=group)
                c2, h2, p2 = _fit_screen(data, cache, seed, rate, log=log, **ex)
                f2 = score_all(data, cache, c2, h2, p2)
                general.update(generalisation_recall(data, f2, kind, group))
    out_dir.mkdir(parents=True, exist_ok=True)
    command = f"assistant injection train --seed {seed} --max-false-flag-rate {rate}"
    meta = {"seed": seed, "command": command, "counts": data.counts, "log": log,
            "training_seconds": round(time.perf_counter() - started, 1)}
    head.meta.update(meta, format="injection-head/1")
    head.dump(out_dir / "injection_head.json")
    chars.meta.update(meta)
    chars.dump(out_dir / "injection_chars.npz")
    params.update(meta, metrics_combined=metrics["combined"], generalisation=general)
    (out_dir / DEFAULT_SCREEN.name).write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
    write_card(out_dir / "injection_card.md", meta, params, metrics, general)
    return {"metrics": metrics, "generalisation": general, "params": params}
