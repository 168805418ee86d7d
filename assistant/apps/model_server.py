"""An OpenAI-compatible chat-completions server for the local generator and its LoRA adapters
(`assistant serve-model`): one base model in memory, each registered adapter served under its own model
name, so `[generator] backend = "openai"` on other machines — or any OpenAI client — can use them.

Only what a generator needs: `GET /v1/models`, `POST /v1/chat/completions` (greedy; `stream: true`
sends server-sent events), `GET /health`. Generation runs one request at a time (it already uses every
core); FastAPI's thread pool queues the rest instead of failing them."""

from __future__ import annotations

from typing import Iterator, Protocol

from assistant.apps.openai_wire import (
    ChatRequest,
    completion,
    events,
    install_error_handlers,
    new_id,
)


class ChatModel(Protocol):
    def served_models(self) -> list[str]: ...
    def complete(self, messages: list[dict[str, str]], model: str, max_new_tokens: int) -> str: ...
    def stream(self, messages: list[dict[str, str]], model: str, max_new_tokens: int) -> Iterator[str]: ...


class LocalChatModel:
    """A TransformersGenerator served under its model name, or an AdapterGenerator: the base model under
    its name and each adapter under the adapter's name (switched per request, nothing reloaded)."""

    def __init__(self, generator) -> None:
        self.generator = generator
        self.base = generator.config.model

    def served_models(self) -> list[str]:
        return [self.base, *self.generator.adapter_choices()]

    def _adapter(self, model: str) -> dict:
        if not self.generator.adapter_choices():  # one model: its complete/stream take no adapter argument
            return {}
        return {"adapter": None if model == self.base else model}

    def complete(self, messages: list[dict[str, str]], model: str, max_new_tokens: int) -> str:
        return self.generator.complete(messages, max_new_tokens=max_new_tokens, **self._adapter(model))

    def stream(self, messages: list[dict[str, str]], model: str, max_new_tokens: int) -> Iterator[str]:
        return self.generator.stream(messages, max_new_tokens=max_new_tokens, **self._adapter(model))


def create_app(chat: ChatModel, default_max_tokens: int = 256):
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import StreamingResponse

    app = FastAPI(title="domain-assistant model server", version="1")
    install_error_handlers(app)

    @app.get("/health")
    def health() -> dict:
        return {"status": "ok", "models": chat.served_models()}

    @app.get("/v1/models")
    def models() -> dict:
        return {"object": "list", "data": [{"id": name, "object": "model", "created": 0, "owned_by": "local"}
                                           for name in chat.served_models()]}

    @app.post("/v1/chat/completions")
    def completions(request: ChatRequest):
        served = chat.served_models()
        if request.model not in served:
            raise HTTPException(404, detail=f"model {request.model!r} is not served here; expected one of "
                                            f"{', '.join(served)} (GET /v1/models lists them)")
        messages = request.plain_messages()
        limit = request.max_completion_tokens or request.max_tokens or default_max_tokens
        ident, created = new_id()
        if request.stream:
            return StreamingResponse(events(chat.stream(messages, request.model, limit), ident, created, request.model),
                                     media_type="text/event-stream")
        return completion(ident, created, request.model, chat.complete(messages, request.model, limit))

    return app

