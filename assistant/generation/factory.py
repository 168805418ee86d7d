"""The generator `[generator] backend` names, built from the settings: the one place that knows
every generator class (so none of them imports another to construct it)."""

from __future__ import annotations

from assistant.core.settings import GeneratorConfig
from assistant.core.types import AUTO, BASE
from assistant.generation.generator import TransformersGenerator


def make_generator(config: GeneratorConfig):
    """The generator `[generator] backend` names: this process's model (with its adapters loaded together
    when `adapters` or adapter = "auto" asks for a per-request choice), or a chat-completions server."""
    if config.backend == "openai":
        from assistant.generation.remote_generator import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator(config)
    if config.adapter == AUTO or config.adapters:
        from assistant.generation.adapters.serving import AdapterGenerator

        return AdapterGenerator.from_config(config)
    if config.adapter == BASE:
        from dataclasses import replace

        config = replace(config, adapter=None)
    return TransformersGenerator(config)
