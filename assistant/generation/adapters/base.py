"""The base model adapters sit on: the bundled SmolLM2 (converted and cached like the generator does)
or a local Hugging Face causal-LM directory, plus the prompt encoding shared by training and serving."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from assistant.core.models import generator_path, quiet_transformers
from assistant.core.settings import BUNDLED_GENERATOR, GeneratorConfig
from assistant.generation.adapters.data import context_hits
from assistant.generation.prompting import build_messages, plain_prompt


def base_path(model: str = BUNDLED_GENERATOR, cache_dir: str = "") -> Path:
    """Local directory of the base weights (the generator's own resolution, so both load the same files)."""
    from assistant.core.models import cached_bundled_model

    config = GeneratorConfig(model=model, cache_dir=cache_dir)
    return generator_path(config.model) or cached_bundled_model(config.cache_path())


def load_base(model: str = BUNDLED_GENERATOR, cache_dir: str = ""):
    """(tokenizer, model) in float32 — CPU training and the generator both use float32."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_transformers()
    path = base_path(model, cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(path)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer, AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)


def prompt_messages(question: str, contexts: Sequence[str], max_source_chars: int, domain: str = "") -> list[dict]:
    """The generator's prompt (prompting.build_messages) for a question over plain-text contexts."""
    return build_messages(question, context_hits(contexts, domain), max_source_chars)


def prompt_ids(tokenizer, messages: list[dict]) -> list[int]:
    """Token ids of the prompt up to where the answer starts, as TransformersGenerator.complete builds it."""
    if tokenizer.chat_template:
        out = tokenizer.apply_chat_template(messages, add_generation_prompt=True, tokenize=True, return_dict=True)
        return list(out["input_ids"])
    return tokenizer(plain_prompt(messages))["input_ids"]
