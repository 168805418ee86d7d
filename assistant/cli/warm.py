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
from assistant.core.errors import AssistantError
from assistant.core.types import SearchFilter

SERVED_MODEL = "domain-assistant"  # the API's name for the configured default generator


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


def ask(server: Endpoint, args, question: str, filters: SearchFilter | None) -> dict | None:
    """`assistant ask --json`'s answer from the server, or None when it could not give one (then the
    caller answers in-process). A question the server refuses is the same usage error as here."""
    body = {"model": getattr(args, "adapter", None) or SERVED_MODEL, "messages": [{"role": "user", "content": question}]}
    if api_filters(filters):
        body["filters"] = api_filters(filters)
    started = time.perf_counter()
    try:
        reply = server.post("/v1/chat/completions", body, getattr(args, "user", None))
    except ValueError as exc:
        raise AssistantError(str(exc)) from None
    except ServerGone as exc:
        print(f"assistant: the server noted for this KB did not answer ({exc}); loading the models here",
              file=sys.stderr)
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
    body = {"query": query, "k": args.k}
    if api_filters(filters):
        body["filters"] = api_filters(filters)
    try:
        return server.post("/v1/search", body)["hits"]
    except ValueError as exc:
        raise AssistantError(str(exc)) from None
    except ServerGone as exc:
        print(f"assistant: the server noted for this KB did not answer ({exc}); searching here", file=sys.stderr)
        return None
