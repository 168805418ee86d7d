"""`assistant injection train`: builds the planted set and the real-passage negatives, encodes their
windows once (cached in shards, so an interrupted run resumes where it stopped), fits the MLP head with
max-over-windows pooling (a passage is as suspicious as its worst window), picks the threshold on
calibration passages the head never fitted, and writes the head plus its data card.

Training sees only TRAIN samples: training-side documents, training templates, training languages.
Everything reported (held-in, held-out, false flags) comes from the evaluation side."""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.core.settings import default_cache_dir
from assistant.reliability import injection_data as data
from assistant.reliability.injection_corpus import EVAL, TRAIN, available, load_passages
from assistant.reliability.injection_model import ENCODER, FORMAT, Head, WindowEncoder

CALIB = "calib"
# Real passages per corpus and side. The evaluation side totals > 10,000 passages (the false-flag
# denominator); the training side is smaller because fitting needs variety, not volume.
TRAIN_SIZES = {"medquad": 1100, "cuad": 700, "pubmedqa": 250, "contractnli": 250, "uslm": 0}
EVAL_SIZES = {"medquad": 4500, "cuad": 3600, "pubmedqa": 0, "contractnli": 0, "uslm": 0}  # 0 = all
PER_TRAIN_TEMPLATE = 8
CALIB_SHARE = 0.3
SHARD = 256
CACHE_VERSION = "1"


@dataclass
class Encoded:
    samples: list[data.Sample]
    vectors: list[np.ndarray]  # per sample: (windows, 384)


def build_samples(root: str | Path | None = None, seed: int = 0) -> list[data.Sample]:
    """Every sample, split: TRAIN (fit), CALIB (threshold), HELD_IN / HELD_OUT (evaluation)."""
    corpora = available(root)
    train_side = {c: load_passages(c, TRAIN, root, TRAIN_SIZES[c], seed) for c in corpora}
    eval_side = {c: load_passages(c, EVAL, root, EVAL_SIZES[c], seed) for c in corpora}
    hosts_train = [p for ps in train_side.values() for p in ps]
    hosts_eval = [p for ps in eval_side.values() for p in ps]
    rng = random.Random(seed)
    samples: list[data.Sample] = []
    for ps in train_side.values():
        negatives = data.real_negatives(ps, TRAIN)
        samples.extend(replace(s, split=CALIB) if rng.random() < CALIB_SHARE else s for s in negatives)
    for ps in eval_side.values():
        samples.extend(data.real_negatives(ps, data.HELD_OUT))
    generated = (data.planted(hosts_train, hosts_eval, seed, per_train_template=PER_TRAIN_TEMPLATE)
                 + data.hard_negatives(hosts_train, hosts_eval, seed))
    # A slice of the training templates' samples calibrates the threshold's recall side too.
    samples.extend(replace(s, split=CALIB) if s.split == TRAIN and rng.random() < 0.15 else s for s in generated)
    # Fitting samples first: the encoding cache then holds what training needs before the evaluation side.
    order = {TRAIN: 0, CALIB: 1, data.HELD_IN: 2}
    return sorted(samples, key=lambda s: (order.get(s.split, 3), s.style == "real"))


def encode_cached(samples: Sequence[data.Sample], encoder: WindowEncoder, cache: Path,
                  progress: bool = True) -> Encoded:
    """Window vectors of every sample, in shards of SHARD named by their texts' hash: a rerun (or a
    resumed run) reads the shards it already has and encodes only the missing ones."""
    from tqdm import tqdm

    cache.mkdir(parents=True, exist_ok=True)
    vectors: list[np.ndarray] = []
    starts = range(0, len(samples), SHARD)
    for start in tqdm(starts, desc="encoding windows", unit="shard", disable=not progress):
        texts = [s.text for s in samples[start:start + SHARD]]
        key = hashlib.sha256("\x00".join([CACHE_VERSION, ENCODER, *texts]).encode("utf-8")).hexdigest()[:24]
        path = cache / f"{key}.npz"
        if path.is_file():
            with np.load(path) as z:
                flat, counts = z["flat"], z["counts"]
        else:
            encoded = [v for _, v in encoder.encode(texts)]
            counts = np.array([len(v) for v in encoded])
            flat = np.concatenate(encoded).astype(np.float16) if encoded else np.zeros((0, 384), np.float16)
            tmp = path.with_suffix(".tmp.npz")
            np.savez(tmp, flat=flat, counts=counts)
            tmp.replace(path)  # whole shards only: an interrupted write never leaves a half shard
        bounds = np.concatenate([[0], np.cumsum(counts)])
        vectors.extend(flat[bounds[i]:bounds[i + 1]].astype(np.float32) for i in range(len(texts)))
    return Encoded(list(samples), vectors)


def _padded(vectors: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(passages, max windows, 384) zero-padded, and the mask of real windows."""
    width = max(max((len(v) for v in vectors), default=1), 1)
    x = np.zeros((len(vectors), width, 384), np.float32)
    mask = np.zeros((len(vectors), width), bool)
    for i, v in enumerate(vectors):
        x[i, :len(v)], mask[i, :len(v)] = v, True
    return x, mask


def fit_head(vectors: Sequence[np.ndarray], labels: Sequence[int], seed: int = 0, hidden: int = 64,
             epochs: int = 40, lr: float = 2e-3, batch: int = 128, progress: bool = True) -> Head:
    """MLP on windows, trained through the max over each passage's windows (multiple-instance):
    a positive needs one window that scores high, a negative needs every window low."""
    import torch
    from tqdm import tqdm

    torch.manual_seed(seed)
    x, mask = _padded(vectors)
    x, mask = torch.from_numpy(x), torch.from_numpy(mask)
    y = torch.tensor(labels, dtype=torch.float32)
    model = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(384, hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-3)
    pos_weight = (len(y) - y.sum()) / max(y.sum().item(), 1.0)
    gen = torch.Generator().manual_seed(seed)
    for _ in tqdm(range(epochs), desc="fitting head", unit="epoch", disable=not progress):
        model.train()
        for idx in torch.randperm(len(y), generator=gen).split(batch):
            logits = model(x[idx]).squeeze(-1).masked_fill(~mask[idx], -1e4).amax(dim=1)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[idx], pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
    lin = [m for m in model if isinstance(m, torch.nn.Linear)]
    layers = [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()) for m in lin]
    return Head(layers, 0.5, {"encoder": ENCODER, "hidden": hidden, "epochs": epochs, "seed": seed})


def passage_scores(head: Head, vectors: Sequence[np.ndarray]) -> np.ndarray:
    return np.array([float(1 / (1 + np.exp(-head.logits(v).max()))) if len(v) else 0.0 for v in vectors])


def pick_threshold(neg_scores: np.ndarray, max_false_flag_rate: float, floor: float = 0.5) -> float:
    """The lowest threshold that keeps calibration false flags at or under the target rate, never
    below `floor`; set just above the score of the last negative it has to let through."""
    allowed = int(np.floor(max_false_flag_rate * len(neg_scores)))
    ranked = np.sort(neg_scores)[::-1]
    above = ranked[allowed] if allowed < len(ranked) else 0.0
    return float(max(floor, min(0.999, np.nextafter(above, 1.0) + 1e-4)))


def train(out: Path, root: str | Path | None = None, seed: int = 0, cache: Path | None = None,
          epochs: int = 40, max_false_flag_rate: float = 0.0005, progress: bool = True) -> dict:
    """Fits and writes the head at `out` with a data card beside it; returns the metrics."""
    from assistant.reliability.injection_eval import evaluate, write_card

    started = time.perf_counter()
    samples = build_samples(root, seed)
    cache = cache or default_cache_dir() / "injection" / "windows"
    encoded = encode_cached(samples, WindowEncoder(), cache, progress)
    fit = [i for i, s in enumerate(samples) if s.split == data.TRAIN]
    head = fit_head([encoded.vectors[i] for i in fit], [samples[i].label for i in fit], seed, epochs=epochs,
                    progress=progress)
    calib = [i for i, s in enumerate(samples) if s.split == CALIB]
    calib_scores = passage_scores(head, [encoded.vectors[i] for i in calib])
    calib_neg = np.array([sc for sc, i in zip(calib_scores, calib) if samples[i].label == 0])
    head.threshold = pick_threshold(calib_neg, max_false_flag_rate)
    ev = [i for i, s in enumerate(samples) if s.split in (data.HELD_IN, data.HELD_OUT)]
    model_flags = passage_scores(head, [encoded.vectors[i] for i in ev]) >= head.threshold
    metrics = evaluate([samples[i] for i in ev], model_flags)
    head.meta.update(format=FORMAT, threshold_rule=f"calibration false flags <= {max_false_flag_rate:.4%}",
                     counts=data.describe(samples), metrics_model_alone=metrics,
                     training_seconds=round(time.perf_counter() - started, 1),
                     command=f"assistant injection train --out {out} --seed {seed} --epochs {epochs}")
    out.parent.mkdir(parents=True, exist_ok=True)
    head.dump(out)
    write_card(out.with_name(out.stem + "_card.md"), head.meta, head.threshold)
    return metrics
