"""The learned injection detector. Two window-level models read each passage: a small MLP over the
bundled MiniLM's contextual token vectors, mean-pooled per window (each sentence, and each pair of
neighbouring sentences), and a character n-gram model (injection_chars) over the same windows. Each
scores a passage by its worst window; the two logits, standardised on calibration passages, are
averaged (ScreenParams) and compared with one threshold. A passage is one encoder pass however many
windows it has. Combined with the phrase rules (flag = rules OR learned) in `screen_hits`.

Text is scored on a matching copy: injection.normalise (NFKC, invisible characters, look-alikes, case)
plus letter-spacing and leetspeak undone, so "I g n o r e" and "1gn0r3" read as the word they spell.
The weights (injection_head.json, injection_chars.npz, injection_screen.json, and the same three prefixed
injection_intl_ for passages in other languages: about 2.5 MB) ship in the
package; nothing is downloaded. Constructing a detector is free; `warm_up()` (or the first call)
loads them and reuses the knowledge base's
embedder when it is the bundled torch MiniLM, else loads that model itself."""

from __future__ import annotations

import base64
import json
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from assistant.core.errors import AssistantError
from assistant.core.types import Hit, QuarantinedHit
from assistant.reliability.injection import screen
from assistant.reliability.injection_chars import CharModel, window_texts
from assistant.reliability.injection_text import is_other_language, model_text, windows  # windows: re-exported

DEFAULT_HEAD = Path(__file__).with_name("injection_head.json")
DEFAULT_SCREEN = Path(__file__).with_name("injection_screen.json")
ENGLISH_PREFIX = "injection_"  # head.json, chars.npz, screen.json of the screen for English passages
INTL_PREFIX = "injection_intl_"  # the same three files for passages in other languages
PREFIXES = (ENGLISH_PREFIX, INTL_PREFIX)  # in the order InjectionDetector.screens holds them
FORMAT = "injection-head/1"
SCREEN_FORMAT = "injection-screen/1"
ENCODER = "bundled:all-MiniLM-L6-v2"
SEGMENT_TOKENS = 254  # the embedder's max_seq_length (256) less [CLS] and [SEP]
BATCH = 16

class WindowEncoder:
    """Per-window vectors for texts: one forward pass per segment of at most SEGMENT_TOKENS tokens."""

    def __init__(self, embedder: Any = None) -> None:
        self._embedder = embedder
        self._tokenizer: Any = None
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is None:
                self._tokenizer, self._model = self._load()

    @staticmethod
    def can_share(embedder: Any) -> bool:
        """Whether `embedder` is this very model on torch, so its loaded weights can be reused."""
        from assistant.core.models import embedder_identity

        return embedder is not None and embedder.config.backend == "torch" and embedder.identity == embedder_identity(ENCODER)

    def _load(self) -> tuple[Any, Any]:
        e = self._embedder
        if self.can_share(e):
            # The KB's embedder is this very model, already in memory: share its weights.
            e.warm_up()
            transformer = e._model[0]
            return transformer.tokenizer, transformer.auto_model
        from transformers import AutoModel, AutoTokenizer

        from assistant.core.models import embedder_path, quiet_transformers

        quiet_transformers()
        path = str(embedder_path(ENCODER))
        return AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path).eval()

    def encode(self, texts: Sequence[str]) -> list[tuple[list[str], np.ndarray]]:
        """For each text: (its windows' text in the matching copy, their unit vectors (n, 384))."""
        import torch

        self.warm_up()
        plans, segments = [], []  # per text: windows as (segment, token range); all segments' token ids
        for text in texts:
            plan, segs = self._plan(model_text(text), len(segments))
            plans.append(plan)
            segments.extend(segs)
        states: list[np.ndarray] = [np.zeros((0, 384), np.float32)] * len(segments)
        order = sorted(range(len(segments)), key=lambda i: len(segments[i]))
        cls, sep, pad = self._tokenizer.cls_token_id, self._tokenizer.sep_token_id, self._tokenizer.pad_token_id or 0
        with torch.inference_mode():
            for b in range(0, len(order), BATCH):
                batch = order[b:b + BATCH]
                width = max(len(segments[i]) for i in batch) + 2
                ids = torch.full((len(batch), width), pad, dtype=torch.long)
                mask = torch.zeros((len(batch), width), dtype=torch.long)
                for row, i in enumerate(batch):
                    seq = [cls] + segments[i] + [sep]
                    ids[row, :len(seq)] = torch.tensor(seq)
                    mask[row, :len(seq)] = 1
                hidden = self._model(input_ids=ids, attention_mask=mask).last_hidden_state.float().numpy()
                for row, i in enumerate(batch):
                    states[i] = hidden[row, 1:1 + len(segments[i])]
        out = []
        for words, parts in plans:
            vecs = np.stack([states[s][a:b].mean(axis=0) for s, a, b in parts]) if parts else np.zeros((0, 384))
            vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-9
            out.append((words, vecs.astype(np.float32)))
        return out

    def _plan(self, text: str, first_segment: int) -> tuple[tuple[list[str], list], list[list[int]]]:
        """Windows of one text as token ranges inside segments; neighbouring sentence pairs included."""
        spans = windows(text)
        enc = self._tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        ids, offsets = enc["input_ids"], enc["offset_mapping"]
        # token range of each sentence window
        ranges, t = [], 0
        for start, end in spans:
            while t < len(ids) and offsets[t][0] < start:
                t += 1
            a = t
            while t < len(ids) and offsets[t][0] < end:
                t += 1
            ranges.append((a, t))
        segments: list[list[int]] = []
        seg_of: list[tuple[int, int]] = []  # per sentence: (segment index, offset of its first token there)
        seg_start = None
        for a, b in ranges:
            b = min(b, a + SEGMENT_TOKENS)  # a single sentence longer than a segment is cut (rare: 250+ tokens)
            if seg_start is None or b - seg_start > SEGMENT_TOKENS:
                segments.append([])
                seg_start = a
            seg_of.append((len(segments) - 1, a - seg_start))
            segments[-1].extend(ids[a:b])
        words, parts = [], []
        for k, ((a, b), (s, off)) in enumerate(zip(ranges, seg_of)):
            n = min(b, a + SEGMENT_TOKENS) - a
            if n <= 0:
                continue
            words.append(text[spans[k][0]:spans[k][1]])
            parts.append((first_segment + s, off, off + n))
            if k + 1 < len(ranges) and seg_of[k + 1][0] == s:  # the pair, when both lie in one segment
                a2, b2 = ranges[k + 1]
                end = seg_of[k + 1][1] + min(b2, a2 + SEGMENT_TOKENS) - a2
                if end > off + n:
                    words.append(text[spans[k][0]:spans[k + 1][1]])
                    parts.append((first_segment + s, off, end))
        return (words, parts), segments


class Head:
    """The MLP (384 → hidden → 1) and its decision threshold, read from the shipped JSON."""

    def __init__(self, layers: list[tuple[np.ndarray, np.ndarray]], threshold: float, meta: dict) -> None:
        self.layers, self.threshold, self.meta = layers, float(threshold), meta

    def logits(self, x: np.ndarray) -> np.ndarray:
        for i, (w, b) in enumerate(self.layers):
            x = x @ w + b
            if i + 1 < len(self.layers):
                x = np.maximum(x, 0.0)
        return x[:, 0]

    @classmethod
    def load(cls, path: str | Path) -> "Head":
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise AssistantError(f"injection detector: expected its weights at {path}, found no file; train them with "
                                 f"`assistant injection train --out {path}` or reinstall the package") from None
        if data.get("format") != FORMAT:
            raise AssistantError(f"injection detector {path}: expected format {FORMAT!r}, found "
                                 f"{data.get('format')!r}; retrain with `assistant injection train`")
        layers = [(_array(layer["w"]), _array(layer["b"])) for layer in data["layers"]]
        return cls(layers, data["threshold"], {k: v for k, v in data.items() if k != "layers"})

    def dump(self, path: str | Path) -> None:
        data = {"format": FORMAT, **{k: v for k, v in self.meta.items() if k != "format"}, "threshold": self.threshold,
                "layers": [{"w": _encode(w), "b": _encode(b)} for w, b in self.layers]}
        Path(path).write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")


def _encode(a: np.ndarray) -> dict:
    a = np.ascontiguousarray(a, dtype="<f4")
    return {"shape": list(a.shape), "f32": base64.b64encode(a.tobytes()).decode("ascii")}


def _array(d: dict) -> np.ndarray:
    return np.frombuffer(base64.b64decode(d["f32"]), dtype="<f4").reshape(d["shape"]).copy()


class ScreenParams:
    """How the two learned scores combine: each model's passage logit standardised by its mean and
    spread over calibration passages, averaged with weight `w_chars`; flagged at or above `threshold`."""

    def __init__(self, data: dict) -> None:
        self.data = data
        self.mu_chars, self.sd_chars = float(data["chars"]["mu"]), float(data["chars"]["sd"])
        self.mu_head, self.sd_head = float(data["head"]["mu"]), float(data["head"]["sd"])
        self.w_chars, self.threshold = float(data["w_chars"]), float(data["threshold"])

    def combine(self, chars: np.ndarray, head: np.ndarray) -> np.ndarray:
        return (self.w_chars * (np.asarray(chars) - self.mu_chars) / self.sd_chars
                + (1 - self.w_chars) * (np.asarray(head) - self.mu_head) / self.sd_head)

    @classmethod
    def load(cls, path: str | Path) -> "ScreenParams":
        path = Path(path)
        if not path.is_file():
            raise AssistantError(f"injection screen: expected its parameters at {path}, found no file; train them "
                                 f"with `assistant injection train` or reinstall the package")
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != SCREEN_FORMAT:
            raise AssistantError(f"injection screen {path}: expected format {SCREEN_FORMAT!r}, found "
                                 f"{data.get('format')!r}; retrain with `assistant injection train`")
        return cls(data)


@dataclass(frozen=True)
class LearnedScreen:
    """One language group's models: the MiniLM head, the n-gram model and how they combine."""

    head: Head
    chars: Any
    params: ScreenParams

    @classmethod
    def load(cls, folder: Path, prefix: str) -> "LearnedScreen":
        return cls(Head.load(folder / f"{prefix}head.json"), CharModel.load(folder / f"{prefix}chars.npz"),
                   ScreenParams.load(folder / f"{prefix}screen.json"))

    def score(self, text: str, words: list[str], vecs: np.ndarray) -> tuple[float, str]:
        """(combined score, the window that scored worst under either model)."""
        cw = window_texts(text)
        c = self.chars.window_logits(cw) if cw else np.full(1, -1e9)
        h = self.head.logits(vecs) if len(vecs) else np.full(1, -1e9)
        p = self.params
        z_chars, z_head = (c.max() - p.mu_chars) / p.sd_chars, (h.max() - p.mu_head) / p.sd_head
        worst = cw[int(c.argmax())] if cw and (z_chars >= z_head or not words) else (words[int(h.argmax())] if words else "")
        return float(p.combine(c.max(), h.max())), worst


class InjectionDetector:
    """The learned screen: n-gram model and MiniLM head, combined; one pair for English passages and one
    for passages in other languages (each passage is scored by its own language's, see injection_build).
    Cheap to construct; `warm_up()` loads the weights and the encoder (otherwise the first call does).
    `folder` holds the weight files (default: the ones the package ships)."""

    def __init__(self, embedder: Any = None, folder: str | Path | None = None) -> None:
        self.folder = Path(folder) if folder else DEFAULT_HEAD.parent
        self.encoder = WindowEncoder(embedder)
        self.screens: tuple[LearnedScreen, LearnedScreen] | None = None  # (English, other languages)
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self.screens is None:
                english, intl = (LearnedScreen.load(self.folder, prefix) for prefix in PREFIXES)
                self.screens = english, intl
        self.encoder.warm_up()

    def details(self, texts: Sequence[str]) -> list[tuple[float, float, str]]:
        """Per text: (combined score, the threshold of its language's screen, the worst window)."""
        self.warm_up()
        out = []
        for text, (words, vecs) in zip(texts, self.encoder.encode(texts)):
            chosen = self.screens[1] if is_other_language(text) else self.screens[0]
            score, worst = chosen.score(text, words, vecs)
            out.append((score, chosen.params.threshold, worst))
        return out

    def scores(self, texts: Sequence[str]) -> list[float]:
        """Per text: its score less its screen's threshold (flagged at or above 0)."""
        return [s - t for s, t, _ in self.details(texts)]

    def reasons(self, texts: Sequence[str]) -> list[list[str]]:
        """Per text: one reason naming the window that crossed the threshold, or none."""
        return [[f"learned detector ({s:.2f} >= {t:.2f}): '{' '.join(w.split())[:80]}'"] if s >= t else []
                for s, t, w in self.details(texts)]


_SHARED: "weakref.WeakKeyDictionary[Any, InjectionDetector]" = weakref.WeakKeyDictionary()
_DEFAULT: list[InjectionDetector] = []


def detector_for(embedder: Any = None) -> InjectionDetector:
    """One detector per embedder whose weights it can share, else the one default detector (its own
    MiniLM, loaded once per process however many KBs use other embedders)."""
    if embedder is None or not WindowEncoder.can_share(embedder):
        if not _DEFAULT:
            _DEFAULT.append(InjectionDetector())
        return _DEFAULT[0]
    if embedder not in _SHARED:
        _SHARED[embedder] = InjectionDetector(embedder)
    return _SHARED[embedder]


def screen_hits(hits: Sequence[Hit], detector: InjectionDetector | None = None,
                embedder: Any = None) -> tuple[list[Hit], list[QuarantinedHit]]:
    """Rules OR learned detector: (hits safe for the generator, quarantined hits with reasons), order
    kept. A passage the rules already flag is not given to the model (its verdict cannot change)."""
    detector = detector or detector_for(embedder)
    texts = [f"{h.chunk.title}\n{h.chunk.text}" if h.chunk.title else h.chunk.text for h in hits]
    reasons = [screen(t) for t in texts]
    todo = [i for i, r in enumerate(reasons) if not r]
    for i, learned in zip(todo, detector.reasons([texts[i] for i in todo]) if todo else []):
        reasons[i] = learned
    clean = [h for h, r in zip(hits, reasons) if not r]
    return clean, [QuarantinedHit(h, tuple(r)) for h, r in zip(hits, reasons) if r]
