"""The OpenAI chat-completions wire format, shared by both servers (`assistant/apps/model_server.py` for the bare
generator, `assistant/apps/api.py` for cited answers): request models, response bodies, server-sent events and
OpenAI-style error bodies, so that the official `openai` client reads every reply and every error."""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated, Any, Iterable, Iterator, Literal

from pydantic import BaseModel, Field

MAX_MESSAGES = 64
MAX_CONTENT_CHARS = 32_000
MAX_PARTS = 16


class TextPart(BaseModel):
    """One part of a message given as a list (`[{"type": "text", "text": ...}]`), as newer clients send."""

    type: Literal["text"]
    text: str = Field(max_length=MAX_CONTENT_CHARS)


class Message(BaseModel):
    role: Literal["system", "developer", "user", "assistant"]
    content: (Annotated[str, Field(max_length=MAX_CONTENT_CHARS)]
              | Annotated[list[TextPart], Field(min_length=1, max_length=MAX_PARTS)])

    @property
    def text(self) -> str:
        return self.content if isinstance(self.content, str) else "".join(p.text for p in self.content)


class ChatRequest(BaseModel):
    model: str = Field(min_length=1, max_length=200)
    messages: list[Message] = Field(min_length=1, max_length=MAX_MESSAGES)
    max_tokens: int | None = Field(default=None, ge=1, le=4096)
    max_completion_tokens: int | None = Field(default=None, ge=1, le=4096)
    temperature: float | None = Field(default=None, ge=0.0, le=2.0)  # accepted; decoding is greedy
    stream: bool = False

    def plain_messages(self) -> list[dict[str, str]]:
        return [{"role": m.role, "content": m.text} for m in self.messages]


SERVED_MODEL = "domain-assistant"  # the configured default adapter; "auto", "base" and adapters by name

def new_id() -> tuple[str, int]:
    return f"chatcmpl-{uuid.uuid4().hex[:24]}", int(time.time())


def completion(ident: str, created: int, model: str, text: str, **extra: Any) -> dict:
    """A `chat.completion` body; `extra` fields sit beside `choices` (the client keeps them in model_extra)."""
    return {"id": ident, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": text}}],
            **extra}


def events(pieces: Iterable[str], ident: str, created: int, model: str, final: dict | None = None,
           role: bool = True) -> Iterator[str]:
    """Server-sent events of a streamed completion: the role (unless already sent), each text piece, a
    last chunk with the finish reason (and `final`'s fields beside `choices`), then `[DONE]`."""
    if role:
        yield role_event(ident, created, model)
    for piece in pieces:
        if piece:
            yield chunk_event(ident, created, model, {"content": piece})
    yield chunk_event(ident, created, model, {}, "stop", **(final or {}))
    yield "data: [DONE]\n\n"


def role_event(ident: str, created: int, model: str) -> str:
    return chunk_event(ident, created, model, {"role": "assistant", "content": ""})


def chunk_event(ident: str, created: int, model: str, delta: dict, finish: str | None = None, **extra: Any) -> str:
    body = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
    return f"data: {json.dumps(body)}\n\n"


def error_event(message: str, kind: str = "server_error", code: str | None = None) -> str:
    """An error after the stream started (its status is already sent); the client raises it as APIError."""
    return f"data: {json.dumps(error_body(message, kind, code))}\n\n"


ERROR_TYPES = {400: "invalid_request_error", 401: "authentication_error", 403: "permission_error",
               404: "not_found_error", 409: "conflict_error", 413: "invalid_request_error",
               422: "invalid_request_error", 429: "rate_limit_error", 503: "server_overloaded"}


def error_body(message: str, kind: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def install_error_handlers(app) -> None:
    """Every error of `app` as `{"error": {"message", "type", "param", "code"}}`, the shape OpenAI clients
    parse: validation errors name the field, what was expected and what was found."""
    from fastapi import Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    def respond(status: int, message: str, code: str | None = None, param: str | None = None,
                headers: dict | None = None) -> JSONResponse:
        return JSONResponse(error_body(message, ERROR_TYPES.get(status, "server_error" if status >= 500
                                                                else "invalid_request_error"), code, param),
                            status_code=status, headers=headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        detail = exc.detail if isinstance(exc.detail, dict) else {"message": str(exc.detail)}
        return respond(exc.status_code, detail["message"], detail.get("code"), detail.get("param"),
                       getattr(exc, "headers", None))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        problems = exc.errors()
        where = _field(problems[0].get("loc", ())) if problems else ""
        return respond(422, validation_message(problems), "invalid_value", where or None)


def validation_message(problems: list[dict]) -> str:
    """pydantic's errors as one line: `messages.0.role: Input should be 'user' ... (found 'robot')`."""
    parts = []
    for p in problems[:5]:
        where = _field(p.get("loc", ())) or "body"
        found = p.get("input")
        shown = repr(found)[:80] if not isinstance(found, (dict, list)) else type(found).__name__
        parts.append(f"{where}: {p.get('msg', 'invalid')} (found {shown})")
    more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
    return "; ".join(parts) + more + "; see /openapi.json for the expected shape"


def _field(loc) -> str:
    """`messages.0.role` from pydantic's location, without FastAPI's leading "body"/"query"/"path"."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:]
    return ".".join(str(p) for p in parts)
