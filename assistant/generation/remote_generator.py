"""A generator that calls an OpenAI-compatible chat-completions server: vLLM, TGI, a llama.cpp
server, or this project's own `assistant serve-model`. The way a team serves many LoRA adapters on one
GPU box is one server with each adapter registered as a model name, so the adapter *is* the model name
here. The prompt is built exactly as for the local generator, so the reliability checks downstream see
the same `[n]` convention whichever side generated."""

from __future__ import annotations

import os
import threading
from typing import Any, Iterator, Sequence

from assistant.core.errors import AssistantError, ModelNotFoundError
from assistant.core.settings import GeneratorConfig
from assistant.core.types import AUTO, BASE, Generator, Hit
from assistant.generation.prompting import build_messages


class RemoteGeneratorError(AssistantError):
    """The chat-completions server could not be reached or answered something unusable."""


class OpenAICompatibleGenerator(Generator):
    """`[generator] backend = "openai"`: `base_url` (e.g. http://gpu-box:8000/v1), the model name from
    `adapter` (a served LoRA adapter) or `remote_model`, the API key from the environment variable named
    by `api_key_env` (many self-hosted servers accept any key)."""

    def __init__(self, config: GeneratorConfig) -> None:
        if config.backend != "openai":
            raise ModelNotFoundError(f'OpenAICompatibleGenerator: expected [generator] backend = "openai", '
                                     f"found {config.backend!r}")
        self.config = config
        self._client: Any = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        return f"{self.model} @ {self.config.base_url}"

    @property
    def model(self) -> str:
        return self.config.adapter or self.config.remote_model

    def warm_up(self) -> None:
        """Creates the client and checks the server lists the model, so a typo fails at start-up."""
        client = self._get_client()
        try:
            served = [m.id for m in client.models.list()]
        except Exception as e:  # the openai client raises several connection/HTTP error types
            raise RemoteGeneratorError(f"chat-completions server {self.config.base_url}: could not list models "
                                       f"({type(e).__name__}: {e}); check base_url and that the server runs") from e
        if self.model and served and self.model not in served:
            raise ModelNotFoundError(f"model {self.model!r} is not served by {self.config.base_url}; it serves "
                                     f"{', '.join(served)}. Set [generator] adapter or remote_model to one of them")

    def adapter_choices(self) -> list[str]:
        return []  # the server's own list (GET /v1/models) decides; any served name may be requested

    def resolve_adapter(self, requested: str | None, hits: Sequence[Hit]) -> str:
        """The served model name that will answer; BASE stands for `remote_model`."""
        if requested in (None, AUTO):
            return self.config.adapter or BASE
        return requested

    def generate(self, question: str, hits: Sequence[Hit], adapter: str | None = None) -> str:
        chosen = self.resolve_adapter(adapter, hits)
        model = self.config.remote_model if chosen == BASE else chosen
        return self.complete(build_messages(question, hits, self.config.max_source_chars), model or None)

    def complete(self, messages: list[dict[str, str]], adapter: str | None = None) -> str:
        response = self._call(messages, adapter, stream=False)
        choices = getattr(response, "choices", None) or []
        if not choices or choices[0].message is None:
            raise RemoteGeneratorError(f"{self.config.base_url}: expected a chat completion with one choice, "
                                       f"found {response!r:.200}")
        return (choices[0].message.content or "").strip()

    def stream(self, messages: list[dict[str, str]], adapter: str | None = None) -> Iterator[str]:
        """Text pieces as the server sends them (server-sent events)."""
        for event in self._call(messages, adapter, stream=True):
            if event.choices and event.choices[0].delta and event.choices[0].delta.content:
                yield event.choices[0].delta.content

    def _call(self, messages: list[dict[str, str]], adapter: str | None, stream: bool) -> Any:
        model = adapter or self.model
        if not model:
            raise ModelNotFoundError('[generator] backend = "openai" needs a model name: set adapter (a served '
                                     "LoRA adapter) or remote_model; found neither")
        client = self._get_client()
        try:
            return client.chat.completions.create(
                model=model, messages=messages, max_tokens=self.config.max_new_tokens, temperature=0.0,
                stream=stream,
                # Not in OpenAI's schema, but vLLM, llama.cpp and our server honour it; others ignore it.
                extra_body={"repetition_penalty": self.config.repetition_penalty})
        except Exception as e:
            raise RemoteGeneratorError(f"chat-completions server {self.config.base_url}, model {model!r}: "
                                       f"{type(e).__name__}: {e}") from e

    def _get_client(self) -> Any:
        with self._lock:
            if self._client is None:
                try:
                    from openai import OpenAI
                except ImportError as e:
                    raise ModelNotFoundError('[generator] backend = "openai" needs the openai package: '
                                             "pip install -e '.[remote]'") from e
                key = os.environ.get(self.config.api_key_env) or "not-needed"
                self._client = OpenAI(base_url=self.config.base_url, api_key=key,
                                      timeout=self.config.timeout_s, max_retries=1)
            return self._client
