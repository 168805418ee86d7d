"""The Generator contract (assistant/core/types.py): a user's own generator writes `generate` only and
gets every other capability from the base, so the pipeline never probes for methods by name."""

import pytest

from assistant.core.errors import AssistantError
from assistant.core.types import BASE, Generator
from assistant.pipeline import Assistant


class Echo(Generator):
    def generate(self, question, hits) -> str:
        return f"{question} [1]"


def test_a_generator_gets_every_optional_capability_from_the_base():
    echo = Echo()
    assert echo.adapter_choices() == [] and echo.resolve_adapter(None, []) == BASE == echo.resolve_adapter("auto", [])
    assert list(echo.generate_stream("Why?", [])) == ["Why? [1]"] and echo.display_name() == "Echo"
    assert not echo.can_sample and echo.default_adapter is None
    with pytest.raises(AssistantError, match="has no adapters"):
        echo.resolve_adapter("contracts", [])
    with pytest.raises(NotImplementedError, match="self_consistency off"):
        echo.sample([], 2)


def test_the_assistant_refuses_an_object_that_is_not_a_generator(demo_kb):
    class Duck:
        def generate(self, question, hits):
            return ""

    with pytest.raises(TypeError, match="expected a subclass of assistant.core.types.Generator"):
        Assistant(demo_kb, generator=Duck())
    assert Assistant(demo_kb, generator=Echo()).adapter_choices() == []
