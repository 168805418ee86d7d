"""ONNX Runtime int8 embedding backend, exported and quantised locally from the sentence-transformers weights.

The first warm-up exports the model's transformer with torch.onnx (legacy TorchScript exporter: it needs only
`onnx`, not onnxscript), quantises its MatMul weights to int8 with onnxruntime, and caches the result under
default_cache_dir()/embeddings/<model>-onnx-int8/ with a stamp. Later warm-ups load the cache without
importing torch. Tokenising uses the model's fast tokenizer (tokenizers), pooling follows the model's
sentence-transformers Pooling config, and vectors are L2-normalised like the torch backend's.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
import time
import warnings
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from assistant.core.errors import ConfigError
from assistant.core.settings import default_cache_dir

log = logging.getLogger(__name__)

STAMP_FORMAT = 1
MODEL_FILE = "model.int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
STAMP_FILE = "stamp.json"
INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Any change to these changes the cached model, so they are part of the stamp.
VERSIONED = ("torch", "transformers", "sentence-transformers", "onnx", "onnxruntime")
POOLING_MODES = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                 "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len"}
# Layers whose FFN down-projection stays float: its input (the GELU output) has outlier channels that a
# per-tensor uint8 activation scale crushes. Measured on MiniLM-L6 over 2246 passages and 50 queries,
# keeping the first half float: mean cosine vs torch 0.994 -> 0.997, worst passage 0.979 -> 0.991,
# queries' top-1 agreement 0.82 -> 0.94; for 15% of the int8 speed (174 -> 148 passages/s on 2 cores).
FLOAT_FFN_FRACTION = 0.5
# A temp build folder this old was left by a killed export (a live one is seconds old): safe to delete.
STALE_BUILD_S = 3600
# An export whose int8 vectors agree less than this with torch's is broken (a trace that baked in a shape),
# not merely quantised; measured agreement on real text is >= 0.98.
EXPORT_CHECK_MIN_COSINE = 0.95


def _install_hint(package: str) -> ConfigError:
    return ConfigError(f"embedding backend 'onnx-int8' needs the '{package}' package, which is not installed; "
                       f"install it with: pip install {package} (or set embedding.backend = 'torch')")


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def _source_files(model_dir: Path) -> dict[str, list[int]]:
    # Size + mtime of every file rather than a hash of 90 MB of weights: keeps a cached load under a second.
    files: dict[str, list[int]] = {}
    for path in sorted(model_dir.rglob("*")):
        if path.is_file() and not {".git", "__pycache__"} & set(path.parts):
            stat = path.stat()
            files[path.relative_to(model_dir).as_posix()] = [stat.st_size, stat.st_mtime_ns]
    return files


def cache_dir_for(identity: str, root: Path | None = None) -> Path:
    """Where the int8 model built from the model named `identity` is cached."""
    if identity.startswith("bundled:"):
        name = identity.split(":", 1)[1]
    else:  # two local models may share a folder name: the path's hash keeps their caches apart
        name = f"{Path(identity).name}-{hashlib.sha256(identity.encode()).hexdigest()[:8]}"
    name = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
    return (root or default_cache_dir()) / "embeddings" / f"{name}-onnx-int8"


@dataclass(frozen=True)
class Pooling:
    modes: tuple[str, ...]  # in sentence-transformers' concatenation order: cls, max, mean, mean_sqrt_len

    def __call__(self, hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
        weights = mask[..., None].astype(np.float32)
        counts = np.maximum(weights.sum(axis=1), 1e-9)
        parts = []
        for mode in self.modes:
            if mode == "cls":
                parts.append(hidden[:, 0])
            elif mode == "max":
                parts.append(np.where(weights > 0, hidden, -1e9).max(axis=1))
            elif mode == "mean":
                parts.append((hidden * weights).sum(axis=1) / counts)
            else:  # mean_sqrt_len
                parts.append((hidden * weights).sum(axis=1) / np.sqrt(counts))
        return np.concatenate(parts, axis=1) if len(parts) > 1 else parts[0]


def read_pooling(model_dir: Path) -> Pooling:
    """The pooling the sentence-transformers model applies, from modules.json and its Pooling config."""
    modules_file = model_dir / "modules.json"
    if not modules_file.is_file():  # a plain Hugging Face model: sentence-transformers would mean-pool it
        return Pooling(("mean",))
    modules = json.loads(modules_file.read_text(encoding="utf-8"))
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    unsupported = [k for k in kinds if k not in ("Transformer", "Pooling", "Normalize")]
    if unsupported or "Pooling" not in kinds:
        raise ConfigError(
            f"embedding backend 'onnx-int8' supports Transformer -> Pooling [-> Normalize] models; {modules_file} "
            f"has modules {kinds}; set embedding.backend = 'torch' for this model")
    pooling = modules[kinds.index("Pooling")]
    config = json.loads((model_dir / pooling.get("path", "") / "config.json").read_text(encoding="utf-8"))
    # e.g. weightedmean or lasttoken: rare, and silently pooling otherwise would give wrong vectors.
    extra = [k for k, v in config.items() if k.startswith("pooling_mode_") and v and k not in POOLING_MODES]
    modes = tuple(m for k, m in POOLING_MODES.items() if config.get(k))
    if extra or not modes:
        raise ConfigError(f"embedding backend 'onnx-int8' supports cls/max/mean/mean_sqrt_len pooling; "
                          f"{pooling.get('path')}/config.json asks for {extra or 'none'}; "
                          f"set embedding.backend = 'torch' for this model")
    return Pooling(modes)


def _stamp(model_dir: Path) -> dict[str, Any]:
    return {"format": STAMP_FORMAT, "source": str(model_dir.resolve()), "source_files": _source_files(model_dir),
            "versions": _versions(), "float_ffn_fraction": FLOAT_FFN_FRACTION}


def _cache_problem(cache: Path, expected: dict[str, Any]) -> str | None:
    """Why the cache cannot be used as it is, or None when it can."""
    try:
        stamp = json.loads((cache / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "no readable stamp"
    for key, value in expected.items():
        if stamp.get(key) != value:
            return f"{key} changed"
    for name, size in stamp.get("files", {}).items():
        if not (cache / name).is_file() or (cache / name).stat().st_size != size:
            return f"{name} missing or resized"
    return None if stamp.get("files") else "no files recorded"


def _quiet_quantiser() -> Any:
    # quantize_dynamic logs an advice to pre-process through the root logger on every call.
    class _Filter(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            return "pre-processing before quantization" not in record.getMessage()

    return _Filter()


def _ffn_down_projections(model_path: Path) -> list[str]:
    """MatMul nodes whose constant weight narrows (intermediate -> hidden): the FFN down-projections, in order."""
    import onnx

    graph = onnx.load(str(model_path), load_external_data=False).graph
    shapes = {init.name: tuple(init.dims) for init in graph.initializer}
    return [node.name for node in graph.node if node.op_type == "MatMul" and len(shapes.get(node.input[1], ())) == 2
            and shapes[node.input[1]][0] > shapes[node.input[1]][1]]


def export_int8(model_dir: Path, out_dir: Path) -> dict[str, Any]:
    """Export `model_dir`'s transformer to ONNX, quantise it to int8 into `out_dir`; returns stamp extras."""
    try:
        import onnx  # noqa: F401  (torch.onnx's TorchScript exporter and the quantiser both need it)
        from onnxruntime.quantization import QuantType, quantize_dynamic
    except ImportError as exc:
        raise _install_hint(exc.name or "onnx") from exc
    import torch
    from sentence_transformers import SentenceTransformer

    from assistant.core.models import quiet_transformers

    quiet_transformers()
    # Eager attention traces to plain MatMul/Softmax, which onnxruntime fuses and quantises well.
    st = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    hf_model = st[0].auto_model.eval()
    tokenizer = st.tokenizer
    names = [n for n in INPUTS if n in tokenizer.model_input_names]

    class Encoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.model = hf_model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            # Keyword arguments: transformers 5's forward() takes extra positional parameters.
            return self.model(**dict(zip(names, tensors)), return_dict=True).last_hidden_state

    # A padded row in the sample keeps the trace from specialising the attention mask to "all ones".
    sample = tokenizer(["a padded sample", "a longer sample sentence for the export trace"], padding=True,
                       return_tensors="pt")
    fp32_path, int8_path = out_dir / "model.fp32.onnx", out_dir / MODEL_FILE
    axes = {n: {0: "batch", 1: "sequence"} for n in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer warnings
        torch.onnx.export(Encoder(), tuple(sample[n] for n in names), str(fp32_path), input_names=names,
                          output_names=["last_hidden_state"], dynamic_axes=axes, opset_version=17, dynamo=False)
    ffn = _ffn_down_projections(fp32_path)
    keep_float = ffn[:int(len(ffn) * FLOAT_FFN_FRACTION)]
    quiet = _quiet_quantiser()
    logging.getLogger().addFilter(quiet)
    try:
        quantize_dynamic(str(fp32_path), str(int8_path), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul"], nodes_to_exclude=keep_float)
    finally:
        logging.getLogger().removeFilter(quiet)
    fp32_path.unlink()
    tokenizer.backend_tokenizer.save(str(out_dir / TOKENIZER_FILE))
    probe = ["Metformin can cause lactic acidosis in patients with kidney disease.", "Fees are due in 30 days.",
             "The Receiving Party shall not disclose Confidential Information to any third party without consent."]
    expected = st.encode(probe, normalize_embeddings=True, convert_to_numpy=True)
    return {"model_max_seq_length": int(st.max_seq_length or 512),
            "float_nodes": keep_float, "probe": probe, "probe_vectors": expected.tolist()}


class OnnxEmbedder:
    """Normalised float32 sentence vectors from the cached int8 ONNX model (built on first load)."""

    def __init__(self, model_dir: Path, identity: str, max_seq_length: int, cache_root: Path | None = None) -> None:
        self.model_dir = model_dir
        self.cache = cache_dir_for(identity, cache_root)
        self.max_seq_length = max_seq_length
        self.dimension = 0
        self.exported = False  # whether the last load() had to build the cache
        self._session: Any = None
        self._tokenizer: Any = None
        self._executor: ThreadPoolExecutor | None = None
        self._pooling = read_pooling(model_dir)

    def load(self) -> None:
        try:
            import onnxruntime  # noqa: F401
            import tokenizers  # noqa: F401
        except ImportError as exc:
            raise _install_hint(exc.name or "onnxruntime") from exc
        self.exported = False
        expected = _stamp(self.model_dir)
        problem = _cache_problem(self.cache, expected)
        if problem is not None:
            log.info("building the int8 ONNX embedder in %s (%s); this takes a few seconds once", self.cache, problem)
            self._build(expected)
        try:
            self._open()
        except Exception as exc:  # a cache corrupted after its stamp was written: rebuild it once
            if self.exported:
                raise
            log.warning("the cached int8 ONNX embedder in %s does not load (%s); rebuilding it", self.cache, exc)
            self._build(expected)
            self._open()

    def _build(self, stamp: dict[str, Any]) -> None:
        self.cache.parent.mkdir(parents=True, exist_ok=True)
        for leftover in self.cache.parent.glob(f".{self.cache.name}.*"):
            if time.time() - leftover.stat().st_mtime > STALE_BUILD_S:
                shutil.rmtree(leftover, ignore_errors=True)
        started = time.perf_counter()
        # Built in a sibling temp folder and renamed into place, so a killed export never leaves half a cache.
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.cache.name}.", dir=self.cache.parent))
        try:
            stamp = {**stamp, **export_int8(self.model_dir, tmp)}
            stamp["files"] = {p.name: p.stat().st_size for p in tmp.iterdir() if p.is_file()}
            (tmp / STAMP_FILE).write_text(json.dumps(stamp, indent=1), encoding="utf-8")
            self._publish(tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.exported = True
        log.info("int8 ONNX embedder built in %.1f s", time.perf_counter() - started)

    def _publish(self, tmp: Path) -> None:
        old = None
        if self.cache.exists():  # stale: moved aside first, since a folder cannot be renamed onto a full one
            old = self.cache.with_name(f".{self.cache.name}.old-{os.getpid()}-{time.monotonic_ns()}")
            try:
                self.cache.rename(old)
            except OSError:
                old = None
        try:
            tmp.rename(self.cache)
        except OSError:
            # Another process published a cache between our check and rename; its build is as good as ours.
            if not (self.cache / STAMP_FILE).is_file():
                raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def _open(self) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        stamp = json.loads((self.cache / STAMP_FILE).read_text(encoding="utf-8"))
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # One thread per run, one run per core: measured 15-25% faster than one run using every core,
        # because a single text's matrices are too small to split well.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        self._session = ort.InferenceSession(str(self.cache / MODEL_FILE), options,
                                             providers=["CPUExecutionProvider"])
        self._inputs = [i.name for i in self._session.get_inputs()]
        tokenizer = Tokenizer.from_file(str(self.cache / TOKENIZER_FILE))
        tokenizer.no_padding()
        tokenizer.enable_truncation(max_length=min(self.max_seq_length, int(stamp["model_max_seq_length"])))
        self._tokenizer = tokenizer
        # Doubles as the warm-up: a broken trace or a damaged file shows as vectors unlike torch's.
        vectors = self.encode(stamp["probe"])
        agreement = float((vectors * np.asarray(stamp["probe_vectors"], dtype=np.float32)).sum(axis=1).min())
        if agreement < EXPORT_CHECK_MIN_COSINE:
            self._session = None
            raise ConfigError(
                f"the int8 ONNX embedder in {self.cache} disagrees with the torch model (cosine {agreement:.3f}, "
                f"expected >= {EXPORT_CHECK_MIN_COSINE}); delete that folder to rebuild it, or set "
                f"embedding.backend = 'torch'")
        self.dimension = int(vectors.shape[1])

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self._session is None:
            self.load()
        encodings = self._tokenizer.encode_batch(list(texts))
        # One text per run, never a padded batch: dynamic quantisation scales activations per tensor, so in a
        # batch a text's vector would depend on its neighbours (measured: cosine down to 0.990 between the
        # same text alone and batched). Alone, a passage embeds the same at ingest and in any later re-ingest,
        # agrees better with torch, and runs as fast (a passage's own matrices already fill the int8 kernels).
        if len(encodings) <= 1:
            vectors = [self._run(e) for e in encodings]
        else:
            vectors = list(self._pool().map(self._run, encodings))
        if not vectors:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack(vectors)

    def _pool(self) -> ThreadPoolExecutor:
        if self._executor is None:  # onnxruntime releases the GIL while it runs, so threads use every core
            self._executor = ThreadPoolExecutor(max_workers=_cores(), thread_name_prefix="onnx-embed")
        return self._executor

    def _run(self, encoding: Any) -> np.ndarray:
        arrays = {"input_ids": encoding.ids, "attention_mask": encoding.attention_mask,
                  "token_type_ids": encoding.type_ids}
        feed = {name: np.asarray([arrays[name]], dtype=np.int64) for name in self._inputs}
        hidden = self._session.run(None, feed)[0]
        pooled = self._pooling(hidden, np.asarray([encoding.attention_mask]))[0]
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)
