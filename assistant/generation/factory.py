"""The generator `[generator] backend` names, built from the settings: the one place that knows
every generator class (so none of them imports another to construct it)."""

from __future__ import annotations

from dataclasses import replace

from assistant.core.settings import BUNDLED_GENERATOR, GeneratorConfig
from assistant.core.types import AUTO, BASE
from assistant.generation.adapters.registry import SHIPPED_ROOT
from assistant.generation.generator import TransformersGenerator

GROUNDED = "grounded"  # the shipped grounded-answer adapter's name (registry.SHIPPED_ROOT / GROUNDED)


def make_generator(config: GeneratorConfig):
    """The generator `[generator] backend` names: this process's model (with its adapters loaded together
    when `adapters` or adapter = "auto" asks for a per-request choice), or a chat-completions server.
    The bundled model with no adapter named gets the shipped grounded-answer adapter (`grounded`);
    adapter = "base" is the plain model."""
    if config.backend == "openai":
        from assistant.generation.remote_generator import OpenAICompatibleGenerator

        return OpenAICompatibleGenerator(config)
    if config.adapter == AUTO or config.adapters:
        from assistant.generation.adapters.serving import AdapterGenerator

        return AdapterGenerator.from_config(config)
    if config.adapter == BASE:
        return TransformersGenerator(replace(config, adapter=None))
    if config.adapter is None and config.grounded and config.model == BUNDLED_GENERATOR and \
            (SHIPPED_ROOT / GROUNDED / "adapter_config.json").is_file():
        config = replace(config, adapter=GROUNDED)
    return TransformersGenerator(config)
