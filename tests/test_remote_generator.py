"""The OpenAI-compatible path end to end: `assistant/apps/model_server.py` serving the real bundled generator over
HTTP on loopback, called by `OpenAICompatibleGenerator` and by the official `openai` client."""

from __future__ import annotations

import pytest

from assistant.core.errors import ModelNotFoundError
from assistant.core.settings import GeneratorConfig
from tests.conftest import free_port

pytestmark = pytest.mark.slow

MESSAGES = [{"role": "system", "content": "Answer using only the numbered sources and cite them like [1]."},
            {"role": "user", "content": "Sources:\n[1] Metformin: Lactic acidosis is a rare but serious side "
                                        "effect of metformin.\n\nQuestion: What rare side effect does metformin have?"}]


@pytest.fixture(scope="module")
def server(http_server):
    from assistant.apps.model_server import LocalChatModel, create_app
    from assistant.generation.generator import TransformersGenerator

    generator = TransformersGenerator(GeneratorConfig(max_new_tokens=24))
    generator.warm_up()
    return http_server(create_app(LocalChatModel(generator))) + "/v1", generator


def test_remote_generator_gets_the_local_models_greedy_text(server):
    from assistant.generation.remote_generator import OpenAICompatibleGenerator

    url, local = server
    remote = OpenAICompatibleGenerator(GeneratorConfig(backend="openai", base_url=url, remote_model=local.config.model,
                                                       max_new_tokens=24))
    remote.warm_up()
    expected = local.complete(MESSAGES)
    assert expected and remote.complete(MESSAGES) == expected
    assert "".join(remote.stream(MESSAGES)) == expected


def test_official_openai_client_non_streaming_and_streaming(server):
    openai = pytest.importorskip("openai")
    url, local = server
    client = openai.OpenAI(base_url=url, api_key="unused")
    assert local.config.model in [m.id for m in client.models.list()]
    reply = client.chat.completions.create(model=local.config.model, messages=MESSAGES, max_tokens=24)
    text = reply.choices[0].message.content
    assert text == local.complete(MESSAGES)
    pieces = [e.choices[0].delta.content or "" for e in
              client.chat.completions.create(model=local.config.model, messages=MESSAGES, max_tokens=24, stream=True)
              if e.choices]
    assert "".join(pieces) == text


def test_unknown_model_and_bad_requests_are_clear(server):
    openai = pytest.importorskip("openai")
    from assistant.generation.remote_generator import OpenAICompatibleGenerator

    url, _ = server
    with pytest.raises(ModelNotFoundError, match="not served"):
        OpenAICompatibleGenerator(GeneratorConfig(backend="openai", base_url=url, remote_model="nope")).warm_up()
    client = openai.OpenAI(base_url=url, api_key="unused")
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="nope", messages=MESSAGES)
    with pytest.raises(openai.UnprocessableEntityError):
        client.chat.completions.create(model="x", messages=[])


def test_unreachable_server_says_what_to_check():
    from assistant.generation.remote_generator import (
        OpenAICompatibleGenerator,
        RemoteGeneratorError,
    )

    gen = OpenAICompatibleGenerator(GeneratorConfig(backend="openai", base_url=f"http://127.0.0.1:{free_port()}/v1",
                                                    remote_model="m", timeout_s=2.0))
    with pytest.raises(RemoteGeneratorError, match="check base_url"):
        gen.warm_up()


def test_openai_backend_needs_a_url():
    from assistant.core.errors import ConfigError

    with pytest.raises(ConfigError, match="base_url"):
        GeneratorConfig(backend="openai")
