"""The encoded-window cache of injection training: MiniLM window vectors per text, keyed by a hash of the
text, in shards of a few hundred texts. Keyed per text (not per batch), so any training set reuses every
passage already encoded whatever else changed, and an interrupted run loses at most one shard."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Sequence

import numpy as np

CACHE_VERSION = "2"
SHARD = 256


def text_key(text: str, encoder: str) -> str:
    return hashlib.sha256("\x00".join([CACHE_VERSION, encoder, text]).encode("utf-8")).hexdigest()[:32]


class WindowCache:
    """key -> (window texts or None, float16 vectors (n, 384)). Loads every shard of `folder` at once."""

    def __init__(self, folder: Path, encoder: str) -> None:
        self.folder, self.encoder = Path(folder), encoder
        self.entries: dict[str, tuple[list[str] | None, np.ndarray]] = {}
        self.folder.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.folder.glob("v2-*.npz")):
            with np.load(path) as z:
                keys, counts, flat = z["keys"], z["counts"], z["flat"]
                words = bytes(z["words"]).decode("utf-8").split("\x01") if "words" in z else None
            bounds = np.concatenate([[0], np.cumsum(counts)])
            for i, key in enumerate(keys):
                w = words[i].split("\x00") if words and words[i] else None
                self.entries[str(key)] = (w, flat[bounds[i]:bounds[i + 1]])

    def get(self, text: str) -> tuple[list[str] | None, np.ndarray] | None:
        return self.entries.get(text_key(text, self.encoder))

    def add(self, texts: Sequence[str], encoded: Sequence[tuple[Sequence[str] | None, np.ndarray]]) -> None:
        """Store one shard (written whole, then renamed: never half a shard on disk)."""
        keys = [text_key(t, self.encoder) for t in texts]
        vecs = [np.asarray(v, np.float16) for _, v in encoded]
        words = "\x01".join("\x00".join(w) if w else "" for w, _ in encoded)
        path = self.folder / f"v2-{hashlib.sha256(''.join(keys).encode()).hexdigest()[:20]}.npz"
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, keys=np.array(keys), counts=np.array([len(v) for v in vecs]),
                 flat=np.concatenate(vecs) if vecs else np.zeros((0, 384), np.float16),
                 words=np.frombuffer(words.encode("utf-8"), np.uint8))
        tmp.replace(path)
        for k, (w, _), v in zip(keys, encoded, vecs):
            self.entries[k] = (list(w) if w else None, v)

    def fill(self, texts: Sequence[str], encode, progress: bool = True) -> None:
        """Encode (with `encode(texts) -> [(words, vectors)]`) every text not cached yet, SHARD at a time."""
        from tqdm import tqdm

        todo = list(dict.fromkeys(t for t in texts if self.get(t) is None))
        for start in tqdm(range(0, len(todo), SHARD), desc="encoding windows", unit="shard", disable=not progress):
            batch = todo[start:start + SHARD]
            self.add(batch, encode(batch))
