"""Cross-site request refusal: a state-changing request (POST, PUT, PATCH, DELETE) that a browser sends
from a page of another origin is answered 403 before it reaches the page or the API.

Without a users file the server trusts every caller that can reach it (a local tool on loopback), so a
web page on another site could otherwise upload, delete or ask through the visitor's browser with a
plain form post. Browsers mark such requests: `Sec-Fetch-Site: cross-site`, an `Origin` header naming
the other site (or "null" from a sandboxed frame or a file), or at least a `Referer`. Programs (curl,
the openai client, scripts) send none of these and are let through, as are reads (GET, HEAD, OPTIONS),
which change nothing. With a users file the check still applies: the page's login is a cookie, which a
browser attaches to cross-site requests too."""

from __future__ import annotations

import json
from typing import Iterable
from urllib.parse import urlsplit

from assistant.apps.openai_wire import error_body

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SameOrigin:
    """ASGI middleware. `allowed`: extra origins a page may call from ("https://intranet.example"),
    e.g. a portal that embeds the assistant; the server's own origin (its Host header) always may."""

    def __init__(self, app, allowed: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = {_origin(a) for a in allowed if a}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        refused = self.refusal(headers)
        if refused is None:
            return await self.app(scope, receive, send)
        body = json.dumps(error_body(refused, "permission_error", "cross_origin")).encode()
        await send({"type": "http.response.start", "status": 403,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})

    def refusal(self, headers: dict[str, str]) -> str | None:
        """Why the request is refused, or None when it may go on."""
        host = headers.get("host", "").lower()
        origin = headers.get("origin")
        if origin is None and headers.get("referer"):
            origin = _origin(headers["referer"])
        if origin is None:
            # No Origin nor Referer: not sent by a page, unless the browser itself says it crossed sites.
            if headers.get("sec-fetch-site", "") == "cross-site":
                return "a cross-site request may not change this server; send it from the assistant's own page"
            return None
        if origin == "null" or not origin:
            return ("a request from a sandboxed page or a local file (Origin: null) may not change this server; "
                    "open the assistant's own page instead")
        if urlsplit(origin).netloc.lower() == host or _origin(origin) in self.allowed:
            return None
        return (f"a request from the page {origin} may not change this server (expected the server's own origin "
                f"{host or '(unknown host)'}); to allow that site, start the server with --allow-origin {origin}")


def _origin(url: str) -> str:
    """scheme://host[:port] of `url`, lower case."""
    parts = urlsplit(url.strip())
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else url.strip().lower()
