"""Request limits of the API: how big a body, an upload, a search and the answer queue may get, and the
ASGI middleware that refuses an oversized body with 413 before it is read into memory."""

from __future__ import annotations

import json
from dataclasses import dataclass

from assistant.apps.openai_wire import error_body


@dataclass(frozen=True)
class ApiLimits:
    body_bytes: int = 1 << 20  # a JSON request: 64 messages of 32,000 characters fit well below
    upload_bytes: int = 32 << 20  # a whole multipart upload to POST /v1/documents
    file_bytes: int = 16 << 20  # one uploaded file; a larger one is reported as that file's error
    files: int = 64  # files (or JSON documents) in one upload; zip members count too
    max_k: int = 50  # hits one search may ask for
    queue: int = 32  # chat requests waiting for the generator beyond the one being answered
    queue_wait_s: float = 600.0  # longest a chat request waits for its turn before a 503

    def __post_init__(self) -> None:
        for name in ("body_bytes", "upload_bytes", "file_bytes", "files", "max_k"):
            if getattr(self, name) < 1:
                raise ValueError(f"ApiLimits.{name}: expected a positive number, found {getattr(self, name)}")


class BodyLimit:
    """413 for a request body over its limit: at once when Content-Length says so, otherwise as soon as
    the streamed body passes it (raised inside the request, so the API's error handler answers)."""

    def __init__(self, app, limits: ApiLimits, prefix: str = "/v1/") -> None:
        self.app, self.limits, self.prefix = app, limits, prefix

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        upload = headers.get("content-type", "").startswith("multipart/")
        limit = self.limits.upload_bytes if upload else self.limits.body_bytes
        what = "a multipart upload" if upload else "a JSON request body"
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            return await _send_413(send, too_large(what, int(declared), limit))
        seen = 0

        async def counted():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    from fastapi import HTTPException

                    raise HTTPException(413, detail={"message": too_large(what, seen, limit, partial=True),
                                                     "code": "request_too_large"})
            return message

        return await self.app(scope, counted, send)


def too_large(what: str, found: int, limit: int, partial: bool = False) -> str:
    size = f"over {found:,}" if partial else f"{found:,}"
    return (f"{what} may be at most {limit:,} bytes, found {size} bytes; send less at once "
            "(split the upload, shorten the conversation)")


async def _send_413(send, message: str) -> None:
    body = json.dumps(error_body(message, "invalid_request_error", "request_too_large")).encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
