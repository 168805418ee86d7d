"""`assistant ask` / `search` through a running `assistant serve` for the same KB (see
assistant/apps/local_server.py), so a question costs the answer, not the model loading. Used only where
the server would answer exactly as this process would: one question or query, no --config of its own,
no --group / --public-only (the CLI's own ACL view), an adapter given by name, and not --no-server.
Anything else, or a server that does not answer, loads the models in this process as before."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from assistant.apps.limits import ApiLimits
from assistant.apps.local_server import Endpoint, ServerGone, find
from assistant.apps.openai_wire import SERVED_MODEL
from assistant.core.errors import AssistantError
from assistant.core.types import SearchFilter


def endpoint(args, filters: SearchFilter | None) -> Endpoint | None:
    adapter = getattr(args, "adapter", None)
    if (getattr(args, "no_server", False) or getattr(args, "config", None) or (filters and filters.groups is not None)
            or (adapter and (Path(adapter).expanduser().exists() or "/" in adapter))):
        return None
    return find(args.kb)


def api_filters(filters: SearchFilter | None) -> dict | None:
    if filters is None:
        return None
    out = {"domains": list(filters.domains), "sources": list(filters.sources), "doc_types": list(filters.doc_types),
           "doc_ids": list(filters.doc_ids), "since": filters.date_from, "until": filters.date_to}
    return {k: v for k, v in out.items() if v}


def _post(server: Endpoint, path: str, body: dict, filters: SearchFilter | None, user: str | None = None) -> dict | None:
    """The server's reply, or None when it did not give one (the caller then works in-process). A request
    the server refuses is the same usage error as here."""
    wanted = api_filters(filters)
    if wanted:
        body = {**body, "filters": wanted}
    try:
        return server.post(path, body, user)
    except ValueError as exc:
        raise AssistantError(str(exc)) from None
    except ServerGone as exc:
        print(f"assistant: the server noted for this KB did not answer ({exc}); working in this process "
              "(the models load here)",
              file=sys.stderr)
        return None


def ask(server: Endpoint, args, question: str, filters: SearchFilter | None) -> dict | None:
    """`assistant ask --json`'s answer from the server, or None (then the caller answers in-process)."""
    body = {"model": getattr(args, "adapter", None) or SERVED_MODEL, "messages": [{"role": "user", "content": question}]}
    started = time.perf_counter()
    reply = _post(server, "/v1/chat/completions", body, filters, getattr(args, "user", None))
    if reply is None:
        return None
    answer = dict(reply["assistant"])
    answer.pop("question", None)
    answer["timings"] = {"load": 0.0, **answer.get("timings", {}),
                         "round_trip": round(time.perf_counter() - started, 3)}
    answer["served_by"] = server.url
    return answer


def search(server: Endpoint, args, query: str, filters: SearchFilter | None) -> list[dict] | None:
    if args.k > ApiLimits().max_k:  # the API's limit; a deeper search runs here
        return None
    reply = _post(server, "/v1/search", {"query": query, "k": args.k}, filters)
    return None if reply is None else reply["hits"]
