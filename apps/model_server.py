"""An OpenAI-compatible chat-completions server for the local generator and its LoRA adapters
(`assistant serve-model`): one base model in memory, each registered adapter served under its own model
name, so `[generator] backend = "openai"` on other machines — or any OpenAI client — can use them.

Only what a generator needs: `GET /v1/models`, `POST /v1/chat/completions` (greedy; `stream: true`
sends server-sent events), `GET /health`. Generation runs one request at a time (it already uses every
core); FastAPI's thread pool queues the rest instead of failing them."""

from __future__ import annotations

import json
import time
import uuid
from typing import Iterator, Literal, Protocol

from pydantic import BaseModel, Field

MAX_MESSAGES = 64
MAX_CONTENT_CHARS = 32_000


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
        return [self.base, *sorted(getattr(self.generator, "adapters", {}))]

    def _adapter(self, model: str) -> dict:
        if not hasattr(self.generator, "adapters"):  # a plain TransformersGenerator takes no adapter argument
            return {}
        return {"adapter": None if model == self.base else model}

    def complete(self, messages: list[dict[str, str]], model: str, max_new_tokens: int) -> str:
        return self.generator.complete(messages, max_new_tokens=max_new_tokens, **self._adapter(model))

    def stream(self, messages: list[dict[str, str]], model: str, max_new_tokens: int) -> Iterator[str]:
        return self.generator.stream(messages, max_new_tokens=max_new_tokens, **self._adapter(model))


class Message(BaseModel):
    role: Literal["system", "user", "assistant"]
    content: str = Field(max_length=MAX_CONTENT_CHARS)


class ChatRequest(BaseModel):
    model: str = Field(min_length=1, max_length=200)
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)  # accepted; decoding is greedy
    stream: bool = False


def create_app(chat: ChatModel, default_max_tokens: int = 256):
    from fastapi import FastAPI, HTTPException
    from fastapi.responses import StreamingResponse

    app = FastAPI(title="domain-assistant model server", version="1")

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
        messages = [m.model_dump() for m in request.messages]
        limit = request.max_completion_tokens or request.max_tokens or default_max_tokens
        ident, created = f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())
        if request.stream:
            return StreamingResponse(_events(chat.stream(messages, request.model, limit), ident, created, request.model),
                                     media_type="text/event-stream")
        text = chat.complete(messages, request.model, limit)
        return {"id": ident, "object": "chat.completion", "created": created, "model": request.model,
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": text}}]}

    return app


def _events(pieces: Iterator[str], ident: str, created: int, model: str) -> Iterator[str]:
    def chunk(delta: dict, finish: str | None = None) -> str:
        body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(body)}\n\n"

    yield chunk({"role": "assistant", "content": ""})
    for piece in pieces:
        if piece:
            yield chunk({"content": piece})
    yield chunk({}, "stop")
    yield "data: [DONE]\n\n"
