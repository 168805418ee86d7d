"""`assistant injection train`: fits the two learned injection detectors at window level and the screen
that combines them, picks its threshold on calibration passages, and writes the weights, the screen's
parameters and the data card.

- character n-gram logistic regression (injection_chars) on every labelled window of the planted set
  (templates + grammar, in training-side carriers), real training-side passages and hard negatives;
- MLP head on MiniLM window vectors (injection_model.Head) on a seeded quarter of the same planted
  passages plus the encoded real passages (vectors cached per text: a rerun or resumed run encodes
  only what is missing);
- the screen: each model's passage logit (its worst window) standardised on calibration passages and
  averaged; flagged above the threshold that keeps calibration false flags at the target rate.

Training sees only training-side documents, training filler values and never the last paraphrase of
any (style, language); evaluation (injection_eval) uses the rest. sklearn is needed here only."""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.core.errors import AssistantError
from assistant.core.settings import default_cache_dir
from assistant.reliability import injection_foreign as foreign
from assistant.reliability import injection_sets as sets
from assistant.reliability.injection_cache import WindowCache
from assistant.reliability.injection_chars import BUCKETS, CharModel, features
from assistant.reliability.injection_corpus import (
    EVAL,
    TRAIN,
    Passage,
    available,
    load_passages,
)
from assistant.reliability.injection_model import ENCODER, Head, WindowEncoder

# Real passages per corpus (0 = all of that side). Training side: the n-gram model reads them all; the
# MiniLM head the first MINI_SIZES of the same shuffled lists (encoding is the cost). Evaluation side:
# > 10,000 passages, the false-flag denominator.
TRAIN_SIZES = {"medquad": 9000, "cuad": 0, "pubmedqa": 0, "contractnli": 0, "uslm": 0}
MINI_SIZES = {"medquad": 1100, "cuad": 700, "pubmedqa": 250, "contractnli": 250, "uslm": 0}
EVAL_SIZES = {"medquad": 4500, "cuad": 3600, "pubmedqa": 0, "contractnli": 0, "uslm": 0}
CALIB_SHARE = 3  # in 10 training-side documents calibrate the threshold and are never fitted
PER_TEMPLATE, PER_GRAMMAR, BENIGN_PER_LANG = 40, 150, 400
MINI_SHARE = 4  # the MiniLM head is fitted on one in MINI_SHARE planted passages
# Generalisation runs: whole styles / languages left out of training, then evaluated.
STYLE_GROUPS = (("override", "role_play", "fake_system", "passive"),
                ("second_person", "exfiltration", "when_asked", "official_update"),
                ("addressed_ai", "chat_turn", "output_dictation", "jailbreak"))
LANG_GROUPS = (("it", "de"), ("es", "fr", "pt"))


@dataclass
class Data:
    fit: list[Passage]
    calib: list[Passage]
    mini_fit: list[Passage]
    evaluation: list[Passage]
    planted: list[sets.Planted]
    mini: list[sets.Planted]  # the planted passages the MiniLM head is fitted on
    benign: list[tuple[str, str]]
    eval_planted: list[sets.Planted]
    eval_benign: list[tuple[str, str]]
    # Real non-English prose (injection_foreign), split by section like the corpora by document.
    foreign_fit: list[Passage] = field(default_factory=list)
    foreign_calib: list[Passage] = field(default_factory=list)
    foreign_eval: list[Passage] = field(default_factory=list)
    counts: dict = field(default_factory=dict)


def is_calibration(doc_id: str) -> bool:
    return int(hashlib.sha256(f"calib:{doc_id}".encode()).hexdigest()[:8], 16) % 10 < CALIB_SHARE


def build(root: str | Path | None = None, seed: int = 0) -> Data:
    corpora = available(root)
    if not corpora:
        raise AssistantError("injection train: expected the shared corpora (medquad, cuad, pubmedqa, contractnli, "
                             f"uslm) under {root or '../shared/data'}, found none; pass --data DIR")
    side = {c: load_passages(c, TRAIN, root, TRAIN_SIZES[c], seed) for c in corpora}
    mini = {p.text for c in corpora for p in (side[c][:MINI_SIZES[c]] if MINI_SIZES[c] else side[c])}
    fit = [p for c in corpora for p in side[c] if not is_calibration(p.doc_id)]
    calib = [p for c in corpora for p in side[c] if is_calibration(p.doc_id)]
    evaluation = [p for c in corpora for p in load_passages(c, EVAL, root, EVAL_SIZES[c], seed)]
    generated = sets.training_planted(fit, seed, PER_TEMPLATE, PER_GRAMMAR)
    # The MiniLM share is drawn before the leakage filter, so the filter never changes which texts
    # are encoded (the cache stays valid).
    shared = mini_planted(generated, seed)
    planted = [p for p in generated if not sets.restates_held_out(p.payload)]
    data = Data(fit, calib, [p for p in fit if p.text in mini], evaluation, planted,
                [p for p in shared if not sets.restates_held_out(p.payload)],
                sets.benign_texts(fit, "train", seed, BENIGN_PER_LANG), sets.evaluation_planted(evaluation, seed),
                sets.benign_texts(evaluation, "eval", seed, 20, short=False))
    langs = foreign.available()
    if not langs:
        raise AssistantError(f"injection train: expected the Debian Reference's translations under {foreign.DEBREF} "
                             f"(ordinary non-English prose the screen must pass), found none; install them with "
                             f"`{foreign.INSTALL}`")
    ftrain = [p for lang in langs for p in foreign.load_foreign(lang, TRAIN, 0, seed)]
    data.foreign_fit = [p for p in ftrain if not is_calibration(p.doc_id)]
    data.foreign_calib = [p for p in ftrain if is_calibration(p.doc_id)]
    data.foreign_eval = [p for lang in langs for p in foreign.load_foreign(lang, EVAL, 0, seed)]
    data.counts = {"real passages": {"fit": len(fit), "calibration": len(calib), "MiniLM fit": len(data.mini_fit),
                                     "evaluation": len(evaluation)},
                   "non-English prose passages": {"fit": len(data.foreign_fit), "calibration": len(data.foreign_calib),
                                                  "evaluation": len(data.foreign_eval), "languages": langs},
                   "planted training passages": len(planted), "MiniLM planted": len(data.mini),
                   f"dropped: restating a held-out paraphrase ({sets.LEAK_WORDS}-word run)": len(generated) - len(planted), "benign training texts": len(data.benign),
                   "planted evaluation passages": len(data.eval_planted),
                   "held-out-paraphrase evaluation passages": sum(p.held_out_paraphrase for p in data.eval_planted),
                   "benign evaluation texts": len(data.eval_benign)}
    return data


def mini_planted(planted: Sequence[sets.Planted], seed: int) -> list[sets.Planted]:
    rng = random.Random(seed + 4)
    return [p for p in planted if rng.randrange(MINI_SHARE) == 0]


def encode_all(data: Data, cache: WindowCache, encoder: WindowEncoder, seed: int, progress: bool) -> None:
    """Fitting texts first: an interrupted run has what training needs before the evaluation side."""
    texts = ([p.text for p in data.mini] + [t for t, _ in data.benign[::MINI_SHARE]]
             + [p.text for p in data.mini_fit] + [p.text for p in data.calib] + [p.text for p in data.eval_planted]
             + [t for t, _ in data.eval_benign] + [p.text for p in data.evaluation]
             + [p.text for p in data.foreign_fit + data.foreign_calib + data.foreign_eval])
    cache.fill(texts, lambda batch: encoder.encode(batch), progress)


def _keep(style: str, lang: str, styles, langs) -> bool:
    return (styles is None or style not in styles) and (langs is None or lang not in langs)


def fit_chars(data: Data, exclude_styles=None, exclude_langs=None, C: float = 4.0, foreign: bool = False) -> CharModel:
    """Logistic regression on hashed n-grams of every labelled window, classes balanced. `foreign`: with
    the non-English prose among the negatives (the model for passages in other languages)."""
    try:
        from scipy.sparse import csr_matrix
        from sklearn.linear_model import LogisticRegression
    except ImportError as exc:
        raise AssistantError(f"injection train: expected scikit-learn for the n-gram model, found {exc}; "
                             "pip install scikit-learn") from None
    texts: list[str] = []
    labels: list[int] = []
    for p in data.planted:
        if _keep(p.style, p.lang, exclude_styles, exclude_langs):
            words = sets.window_texts(p.text)
            for w, label in zip(words, sets.window_labels(p.text, p.payload, words)):
                if label is not None:
                    texts.append(w)
                    labels.append(label)
    negatives = ([p.text for p in data.fit] + [p.text for p in (data.foreign_fit if foreign else [])]
                 + [t for t, lang in data.benign if exclude_langs is None or lang not in exclude_langs])
    for t in negatives:
        words = sets.window_texts(t)
        texts.extend(words)
        labels.extend([0] * len(words))
    unique = dict.fromkeys(texts)
    feats = {t: features(t) for t in unique}
    indptr, indices, values = [0], [], []
    for t in texts:
        ids, vals = feats[t]
        indices.append(ids)
        values.append(vals)
        indptr.append(indptr[-1] + len(ids))
    x = csr_matrix((np.concatenate(values), np.concatenate(indices), np.array(indptr)), shape=(len(texts), BUCKETS))
    clf = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(x, np.array(labels))
    return CharModel(clf.coef_[0].astype(np.float32), float(clf.intercept_[0]), 0.0,
                     {"windows": len(texts), "positive windows": int(sum(labels)), "C": C})


def fit_head(data: Data, cache: WindowCache, seed: int, exclude_styles=None, exclude_langs=None,
             hidden: int = 128, epochs: int = 30, foreign: bool = False) -> Head:
    """The MLP on labelled MiniLM windows (positive: the payload's windows), classes weighted; `foreign`
    as for fit_chars."""
    import torch

    xs: list[np.ndarray] = []
    ys: list[int] = []
    for p in data.mini:
        entry = cache.get(p.text)
        if entry is None or entry[0] is None or not _keep(p.style, p.lang, exclude_styles, exclude_langs):
            continue
        for v, label in zip(entry[1], sets.window_labels(p.text, p.payload, entry[0])):
            if label is not None:
                xs.append(v)
                ys.append(label)
    negatives = [t for t, lang in data.benign[::MINI_SHARE] if exclude_langs is None or lang not in exclude_langs]
    for t in negatives + [p.text for p in data.mini_fit + (data.foreign_fit if foreign else [])]:
        entry = cache.get(t)
        if entry is not None:
            xs.extend(entry[1])
            ys.extend([0] * len(entry[1]))
    torch.manual_seed(seed)
    x = torch.tensor(np.asarray(xs, np.float32))
    y = torch.tensor(ys, dtype=torch.float32)
    model = torch.nn.Sequential(torch.nn.Dropout(0.1), torch.nn.Linear(384, hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, 1))
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    pos_weight = (len(y) - y.sum()) / y.sum().clamp(min=1.0)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(y), generator=gen).split(256):
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x[idx]).squeeze(-1), y[idx],
                                                                        pos_weight=pos_weight)
            opt.zero_grad()
            loss.backward()
            opt.step()
    lin = [m for m in model if isinstance(m, torch.nn.Linear)]
    layers = [(m.weight.detach().numpy().T.copy(), m.bias.detach().numpy().copy()) for m in lin]
    return Head(layers, 0.5, {"encoder": ENCODER, "hidden": hidden, "epochs": epochs, "seed": seed,
                              "windows": len(ys), "positive windows": int(sum(ys))})


def head_logits(head: Head, cache: WindowCache, texts: Sequence[str]) -> np.ndarray:
    out = []
    for t in texts:
        entry = cache.get(t)
        if entry is None:
            raise AssistantError("injection train: expected every scored text in the window cache, found one "
                                 "missing; rerun `assistant injection train` (it encodes what is missing)")
        out.append(float(head.logits(entry[1].astype(np.float32)).max()) if len(entry[1]) else -1e9)
    return np.array(out)


def pick_threshold(scores: np.ndarray, rate: float) -> float:
    """Just above the calibration score that the allowed number of false flags (rate x count) sits on."""
    ranked = np.sort(scores)[::-1]
    allowed = int(np.floor(rate * len(ranked)))
    return float(ranked[min(allowed, len(ranked) - 1)] + 1e-4)


def timed(label: str, log: list, fn, *args, **kwargs):
    started = time.perf_counter()
    out = fn(*args, **kwargs)
    log.append(f"{label}: {time.perf_counter() - started:.1f} s")
    return out


def default_cache() -> Path:
    return default_cache_dir() / "injection" / "windows"
