"""The generator's decode loop on onnxruntime-genai (`[generator] runtime = "onnx"`).

Why: for a 135M model most of a torch decode step is Python and framework overhead, not arithmetic;
onnxruntime-genai runs the whole step (fused attention with a preallocated, shared KV buffer) in C++.
The model is exported once from the Hugging Face weights by onnxruntime-genai's own model builder, fp32
(the same arithmetic as torch, so greedy text matches) and cached beside the converted bundled model,
with a stamp naming what it was built from: a changed model, adapter or runtime version rebuilds it.

A LoRA adapter is built into its own variant (`adapter_path`): the graph computes x·W + (x·A)·(s·B) as
peft does, unmerged, so each adapter costs one more copy of the weights on disk and in memory (~545 MB fp32
for the 135M model).

Tokens are chosen here, not by the runtime: the loop is fastgen.greedy_loop, the one FastDecoder runs, so
the repetition penalty (HF's arithmetic over prompt + answer), the citation constraint (constrain.py), the
stop rules and prompt lookup are the torch path's; the runtime returns every position's logits for a
drafted block, and `rewind_to` drops the rejected ones. One generator state is kept between requests, so
a prompt sharing its opening with the previous one (the system block, or the same question asked again)
appends only the rest; appending in pieces gives the same logits as one pass (tests/test_ortgen.py)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch

from assistant.core.errors import ModelNotFoundError
from assistant.core.models import publish, stamped
from assistant.generation.fastgen import Timing, greedy_loop

PRECISIONS = ("fp32", "int8", "int4")
PREFILL_CHUNK = 200
KEEP_BUILDS = 6  # exported models kept in the cache (least recently used dropped first)
_WEIGHT_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json", "generation_config.json")


def runtime_version() -> str:
    import onnxruntime_genai as og

    return og.__version__


def _fingerprint(model_dir: Path, adapter_dir: Path | None, precision: str) -> dict:
    """What a built model depends on: the source weights (names and sizes of the files the builder reads,
    sharded safetensors included), the adapter's bytes, the precision and the runtime's version."""
    files = sorted(p for p in model_dir.iterdir() if p.is_file() and (p.name in _WEIGHT_FILES or p.suffix == ".safetensors"))
    source = {p.name: [p.stat().st_size, int(p.stat().st_mtime)] for p in files}
    stamp = {"model": str(model_dir.resolve()), "files": source, "precision": precision, "runtime": runtime_version()}
    if adapter_dir is not None:
        digest = hashlib.sha256()
        for p in sorted(adapter_dir.iterdir()):
            if p.is_file() and (p.suffix in (".safetensors", ".bin") or p.name == "adapter_config.json"):
                digest.update(p.name.encode())
                digest.update(p.read_bytes())
        stamp["adapter"] = digest.hexdigest()
    return stamp


def built_model(model_dir: Path, cache_root: Path, adapter_dir: Path | None = None, precision: str = "fp32") -> Path:
    """Directory of the onnxruntime-genai model for `model_dir` (+ adapter), building it on first use
    (~5 s and ~550 MB of disk for the 135M model) with `python -m onnxruntime_genai.models.builder`."""
    if precision not in PRECISIONS:
        raise ValueError(f"onnx runtime: precision expected one of {PRECISIONS}, found {precision!r}")
    model_dir = Path(model_dir)
    if not (model_dir / "config.json").is_file():
        raise ModelNotFoundError(f"onnx runtime: expected a Hugging Face model directory with config.json, "
                                 f"found {model_dir}; point [generator] model at one")
    stamp = _fingerprint(model_dir, adapter_dir, precision)
    key = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:16]
    target = cache_root / "onnx" / f"{model_dir.name}-{precision}-{key}"
    stamp_file = target / "built-from.json"
    if stamped(stamp_file, stamp):
        stamp_file.touch()  # last use, for _prune
        return target
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    command = [sys.executable, "-m", "onnxruntime_genai.models.builder", "-i", str(model_dir), "-o", str(tmp),
               "-p", precision, "-e", "cpu", "-c", str(tmp / "hf-cache")]
    if adapter_dir is not None:
        command += ["--extra_options", f"adapter_path={adapter_dir}"]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    if done.returncode != 0 or not (tmp / "genai_config.json").is_file():
        shutil.rmtree(tmp, ignore_errors=True)
        tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
        raise RuntimeError(f"onnx runtime: building {model_dir.name} for onnxruntime-genai failed (exit "
                           f"{done.returncode}): {' | '.join(tail)}; set [generator] runtime = \"torch\" to use "
                           "the torch path for this model")
    shutil.rmtree(tmp / "hf-cache", ignore_errors=True)
    (tmp / "built-from.json").write_text(json.dumps(stamp, indent=1))
    publish(tmp, target, lambda: stamped(stamp_file, stamp))  # another process's equal build is kept
    _prune(target.parent, keep=target)
    return target


def _prune(root: Path, keep: Path) -> None:
    """Drops all but the KEEP_BUILDS most recently used builds (each is ~0.5 GB in fp32; every adapter and
    every retrained adapter is a new build). A process still holding a dropped one keeps its open files."""
    for partial in root.glob("*.tmp-*"):  # a build whose process died half-way (its pid is gone)
        pid = partial.name.rsplit(".tmp-", 1)[1]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(partial, ignore_errors=True)
    builds = sorted((p for p in root.iterdir() if ".tmp-" not in p.name and p != keep
                     and (p / "built-from.json").is_file()),
                    key=lambda p: (p / "built-from.json").stat().st_mtime, reverse=True)
    for old in builds[KEEP_BUILDS - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


class OrtDecoder:
    """Greedy decoding on an onnxruntime-genai model, token choice in Python. One generation at a time
    (the caller locks); the generator state is kept between requests for the shared-prefix reuse."""

    def __init__(self, model_dir: Path, *, eos_token_ids: Sequence[int] = (), threads: int = 0,
                 prefix_cache: bool = True, lookahead: int = 8, min_ngram: int = 2, max_length: int = 2048) -> None:
        import onnxruntime_genai as og

        if lookahead < 0 or min_ngram < 1:
            raise ValueError(f"OrtDecoder: expected lookahead >= 0 and min_ngram >= 1, found {lookahead}, {min_ngram}")
        config = og.Config(str(model_dir))
        # onnxruntime's default is one thread per physical core, which on a VM's vCPUs can be one; prefill
        # is compute-bound and takes every core the process may run on (2 threads: 0.73 s vs 1.36 s for 600
        # prompt tokens here), and so does a decode step (22 vs 41 ms).
        threads = threads or len(os.sched_getaffinity(0))
        config.overlay(json.dumps({"model": {"decoder": {"session_options": {"intra_op_num_threads": threads}}}}))
        self._og = og
        self.model = og.Model(config)
        genai = json.loads((Path(model_dir) / "genai_config.json").read_text())
        self.context = int(genai["model"].get("context_length", max_length))
        gen_eos = genai["model"].get("eos_token_id")
        self.eos = set(eos_token_ids) | set([gen_eos] if isinstance(gen_eos, int) else (gen_eos or []))
        self.prefix_cache, self.lookahead, self.min_ngram = prefix_cache, lookahead, min_ngram
        self.max_length = min(max_length, self.context)
        self._gen = None
        self._held: list[int] = []  # the ids whose keys/values the generator holds
        self.last = Timing()

    def forget_prefixes(self) -> None:
        self._gen, self._held = None, []

    def _generator(self, needed: int):
        """The kept generator, or a new one when none is kept or it is too short for `needed` tokens."""
        if self._gen is None or needed > self.max_length:
            if needed > self.context:
                raise ValueError(f"generate: the prompt and answer need {needed} tokens, the model's context "
                                 f"holds {self.context}; lower max_source_chars or max_new_tokens")
            while self.max_length < needed:
                self.max_length = min(self.max_length * 2, self.context)
            params = self._og.GeneratorParams(self.model)
            params.set_search_options(max_length=self.max_length, do_sample=False)
            self._gen, self._held = self._og.Generator(self.model, params), []
        return self._gen

    def _prefill(self, ids: list[int], max_new_tokens: int) -> np.ndarray:
        gen = self._generator(len(ids) + max_new_tokens + self.lookahead + 1)
        keep = 0
        if self.prefix_cache:
            limit = min(len(self._held), len(ids) - 1)  # at least one token must run to give logits
            while keep < limit and self._held[keep] == ids[keep]:
                keep += 1
        if keep < len(self._held):
            gen.rewind_to(keep)
        self._held = ids[:keep]
        # In pieces: onnxruntime's CPU attention over a whole long prompt costs more than over pieces that
        # attend to the cache (600 tokens: 0.69 s whole, 0.61 s in 200s); each row's arithmetic is the
        # same, so the logits are identical (tests/test_ortgen.py checks).
        for start in range(keep, len(ids), PREFILL_CHUNK):
            gen.append_tokens(ids[start:start + PREFILL_CHUNK])
            self._held = ids[:start + PREFILL_CHUNK]
        self.last.reused_prefix_tokens = keep
        return np.asarray(gen.get_logits(), dtype=np.float32).reshape(1, -1)

    def generate_ids(self, input_ids, *, max_new_tokens: int, repetition_penalty: float = 1.0,
                     prefix: tuple[int, ...] = (), constraint=None) -> Iterator[int]:
        """Yield greedy token ids one at a time (the eos id included, then stop), as FastDecoder does:
        same penalty, same constraint, same draft rule. `prefix` is accepted for the same signature; the
        kept state reuses any shared opening, not only the system block."""
        ids = [int(t) for t in (input_ids[0].tolist() if hasattr(input_ids, "tolist") else input_ids)]
        if not ids:
            raise ValueError("generate_ids: expected at least one prompt token, found none")
        started = time.perf_counter()
        self.last = Timing(prompt_tokens=len(ids))
        try:
            rows = self._prefill(ids, max_new_tokens)
        except Exception:
            self.forget_prefixes()  # the state may hold part of a prompt
            raise
        gen = self._gen

        def forward(drafted: list[int]) -> torch.Tensor:
            try:
                return torch.from_numpy(self._forward(gen, ids, drafted))
            except Exception:
                self.forget_prefixes()  # the runtime's state no longer matches _held
                raise

        yield from greedy_loop(torch.from_numpy(rows), ids, forward, max_new_tokens=max_new_tokens,
                               repetition_penalty=repetition_penalty, constraint=constraint, eos=self.eos,
                               lookahead=self.lookahead, min_ngram=self.min_ngram, timing=self.last, started=started)

    def _forward(self, gen, ids: list[int], drafted: list[int]) -> np.ndarray:
        """Logits after the latest token and each drafted one: (1 + len(drafted), vocab)."""
        valid = len(ids) - 1  # the state holds ids[:-1]'s keys/values, plus rejected drafts beyond them
        if len(self._held) > valid:
            gen.rewind_to(valid)
        block = [ids[-1], *drafted]
        gen.append_tokens(block)
        self._held = ids[:-1] + block
        if drafted:  # every position's logits (the runtime returns the whole block's)
            return np.asarray(gen.get_output("logits"), dtype=np.float32).reshape(len(block), -1)
        return np.asarray(gen.get_logits(), dtype=np.float32).reshape(1, -1)
