"""The character n-gram injection detector: a logistic regression over hashed character 2–5-grams and
word pairs of each window (sentence, and pair of neighbouring sentences) of the de-obfuscated matching copy, a
passage scoring as its worst window. It needs no encoder pass, reads every language the same way,
and the de-obfuscation (injection_model.model_text) plus n-grams that survive a changed letter make
it robust to leetspeak, look-alikes and spacing; it carries most of the screen's recall, the MiniLM
head adds meaning where the wording is new.

Features are hashed with CRC-32 (zlib) into BUCKETS slots, so training (scikit-learn, injection_train)
and scoring (numpy only, no scikit-learn at run time) share one definition with no vocabulary to ship;
the weights are one float16 vector, stored compressed beside this module."""

from __future__ import annotations

import io
import json
import re
import zlib
from pathlib import Path
from typing import Sequence

import numpy as np

from assistant.core.errors import AssistantError
from assistant.reliability.injection_text import model_text, windows

DEFAULT_WEIGHTS = Path(__file__).with_name("injection_chars.npz")
FORMAT = "injection-chars/2"
BUCKETS = 2**20
NGRAMS = (2, 3, 4, 5)
PAIR_WEIGHT = 2  # a word pair counts as two n-grams: rarer, and it carries the phrase ("system prompt")
_TOKENS = re.compile(r"\w+|[^\w\s]")


def window_texts(text: str) -> list[str]:
    """The windows the detector scores: each sentence of the matching copy, then each neighbouring pair."""
    m = model_text(text)
    spans = windows(m)
    return [m[a:b] for a, b in spans] + [m[spans[k][0]:spans[k + 1][1]] for k in range(len(spans) - 1)]


def features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """(bucket ids, weights) of one window: counts of its words' padded character n-grams and of its
    neighbouring token pairs, L2-normalised. Words are padded with a space on each side, so n-grams mark
    word starts and ends ("char_wb"); the pairs (words and punctuation, e.g. "previous instructions",
    '" :') give the order that n-grams inside words cannot see."""
    counts: dict[int, int] = {}
    for word in text.split():
        w = f" {word} ".encode("utf-8")
        for n in NGRAMS:
            for i in range(len(w) - n + 1):
                h = zlib.crc32(w[i:i + n]) & (BUCKETS - 1)
                counts[h] = counts.get(h, 0) + 1
    tokens = _TOKENS.findall(text)
    for a, b in zip(tokens, tokens[1:]):
        h = zlib.crc32(f"\x01{a} {b}".encode("utf-8")) & (BUCKETS - 1)  # \x01: never inside a word n-gram
        counts[h] = counts.get(h, 0) + PAIR_WEIGHT
    if not counts:
        return np.zeros(0, np.int64), np.zeros(0, np.float32)
    ids = np.fromiter(counts.keys(), np.int64, len(counts))
    vals = np.fromiter(counts.values(), np.float32, len(counts))
    return ids, vals / np.linalg.norm(vals)


class CharModel:
    """Linear weights over the hashed n-grams, a bias and the decision threshold (on the logit)."""

    def __init__(self, weights: np.ndarray, bias: float, threshold: float, meta: dict | None = None) -> None:
        self.weights, self.bias, self.threshold, self.meta = weights.astype(np.float32), float(bias), float(threshold), meta or {}

    def window_logits(self, windows_: Sequence[str]) -> np.ndarray:
        out = np.empty(len(windows_), np.float32)
        for i, w in enumerate(windows_):
            ids, vals = features(w)
            out[i] = float(self.weights[ids] @ vals) + self.bias
        return out

    def passage_logits(self, texts: Sequence[str]) -> np.ndarray:
        """The highest window logit of each text (a text with no words scores far below any threshold)."""
        return np.array([float(self.window_logits(ws).max()) if (ws := window_texts(t)) else -1e9 for t in texts])

    @classmethod
    def load(cls, path: str | Path = DEFAULT_WEIGHTS) -> "CharModel":
        path = Path(path)
        if not path.is_file():
            raise AssistantError(f"injection detector: expected its n-gram weights at {path}, found no file; train them "
                                 f"with `assistant injection train` or reinstall the package")
        with np.load(path) as z:
            meta = json.loads(bytes(z["meta"]).decode("utf-8"))
            if meta.get("format") != FORMAT or len(z["weights"]) != BUCKETS:
                raise AssistantError(f"injection detector {path}: expected format {FORMAT!r} with {BUCKETS} weights, found "
                                     f"{meta.get('format')!r} with {len(z['weights'])}; retrain with `assistant injection train`")
            return cls(z["weights"].astype(np.float32), meta["bias"], meta["threshold"], meta)

    def dump(self, path: str | Path) -> None:
        meta = {**self.meta, "format": FORMAT, "bias": self.bias, "threshold": self.threshold}
        buf = io.BytesIO()
        np.savez_compressed(buf, weights=self.weights.astype(np.float16),
                            meta=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8))
        Path(path).write_bytes(buf.getvalue())
