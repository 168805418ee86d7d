"""The assistant's HTTP API, added to the FastAPI app that also serves the page (assistant/apps/server.py):
`POST /v1/chat/completions` (OpenAI's wire format; the cited, verified answer in an extra `assistant`
field), `POST /v1/search`, `GET /v1/models`, and the documents routes of assistant/apps/api_documents.py.

With a users file every call needs `Authorization: Bearer <API key>` and runs under the key owner's
groups: a passage outside them never reaches a hit, an answer, a citation or a document list. Without
one the API is a local tool: no key, no ACL (bind it to loopback only).

Answers go through one bounded queue (assistant/apps/gate.py), shared by every API caller; the generator's own
lock makes the page's queue and the API take turns on the one model."""

from __future__ import annotations

import asyncio
import hmac
from typing import AsyncIterator

from fastapi import Depends, Request
from fastapi.responses import JSONResponse, StreamingResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.apps.api_caller import ERRORS, Caller, http_error
from assistant.apps.api_models import (
    AssistantChatRequest,
    ChatCompletionOut,
    Filters,
    ModelList,
    SearchOut,
    SearchRequest,
)
from assistant.apps.gate import Busy, Gate
from assistant.apps.limits import ApiLimits, BodyLimit
from assistant.apps.local_server import AS_USER
from assistant.apps.openai_wire import (
    ERROR_TYPES,
    SERVED_MODEL,
    chunk_event,
    completion,
    error_body,
    error_event,
    events,
    install_error_handlers,
    new_id,
    role_event,
)
from assistant.core.errors import AssistantError
from assistant.core.serialize import answer_to_dict, hit_to_dict
from assistant.core.text import check_question, sentence_spans
from assistant.core.types import AUTO, BASE, Answer, SearchFilter
from assistant.core.users import AccessDenied, UserError, UserStore
from assistant.followup import question_from_turns
from assistant.pipeline import EVENT_GENERATING, EVENT_TEXT, Assistant, Listener

TOPIC_HITS = 3  # passages whose titles may name a follow-up's subject (the page uses the answer's citations)
KEEPALIVE_S = 10.0  # an SSE comment while a streamed request waits, so proxies keep the connection open
PROGRESS_EVERY_S = 0.25  # the generator's text pieces are sent in batches this far apart


def search_filter(filters: Filters | None) -> SearchFilter | None:
    if filters is None:
        return None
    return SearchFilter(domains=tuple(filters.domains), sources=tuple(filters.sources),
                        doc_types=tuple(filters.doc_types), doc_ids=tuple(filters.doc_ids),
                        date_from=filters.since, date_to=filters.until)


def add_api(app, assistant: Assistant, users: UserStore | None = None, limits: ApiLimits = ApiLimits(),
            local_token: str | None = None) -> Gate:
    """Adds the /v1 routes, their error bodies and limits to `app`; returns the answer queue.
    `local_token`: the key of the local caller (apps/local_server.py: the CLI on this machine), who sees
    every document, as without a users file."""
    from assistant.apps.api_documents import add_document_routes

    gate = Gate(limits.queue, limits.queue_wait_s)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limits=limits)
    bearer = HTTPBearer(auto_error=False, description="an API key from `assistant users --file F key NAME`")

    @app.exception_handler(AccessDenied)  # raised by the core's one write rule, wherever a route reaches it
    async def denied(request: Request, exc: AccessDenied):
        return JSONResponse(error_body(str(exc), ERROR_TYPES[exc.status], exc.code, exc.param), status_code=exc.status)

    @app.exception_handler(Busy)
    async def busy(request: Request, exc: Busy):
        return JSONResponse(error_body(str(exc), "server_overloaded", "queue_full"), status_code=503,
                            headers={"Retry-After": str(exc.retry_after)})

    def caller(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
        if local_token and credentials and hmac.compare_digest(credentials.credentials.encode(), local_token.encode()):
            return Caller(None, (request.headers.get(AS_USER) or "").strip()[:64] or None)
        if users is None:
            return Caller(None)
        if credentials is None:
            raise http_error(401, "expected an API key as `Authorization: Bearer <key>`, found none; ask an admin "
                                  "for one (`assistant users --file USERS key NAME`)", "missing_api_key")
        try:
            user = users.by_api_key(credentials.credentials)
        except UserError as exc:
            raise http_error(503, f"the server cannot read its users file: {exc}", "users_file_unreadable") from None
        if user is None:
            raise http_error(401, "the API key is not known to this server; expected a key made by "
                                  "`assistant users key NAME` (keys are shown once: make a new one if lost)",
                             "invalid_api_key")
        return Caller(user)

    def model_names() -> list[str]:
        return [SERVED_MODEL, AUTO, BASE, *assistant.adapter_choices()]

    @app.get("/v1/models", response_model=ModelList, responses=ERRORS, tags=["chat"])
    def models(who: Caller = Depends(caller)) -> dict:
        return {"object": "list", "data": [{"id": name} for name in model_names()]}

    def adapter_for(model: str) -> str | None:
        if model in (SERVED_MODEL, assistant.settings.generator.model):
            return None  # the configured default
        if model in model_names():
            return model
        raise http_error(404, f"model {model!r} is not served here; expected one of {', '.join(model_names())} "
                              "(GET /v1/models lists them)", "model_not_found", "model")

    def question_of(request: AssistantChatRequest, filters: SearchFilter | None) -> str:
        if request.messages[-1].role != "user":
            raise http_error(422, f"the last message must be the user's question, found role "
                                  f"{request.messages[-1].role!r}", "invalid_value", "messages")
        if not request.messages[-1].text.strip():  # else the previous question would be answered again
            raise http_error(422, "the last user message is blank; expected the question to answer",
                             "invalid_value", f"messages.{len(request.messages) - 1}.content")
        turns, answers = [], []  # answers[i]: the assistant's reply after user turn i ("" when none)
        for m in request.messages:
            if m.role == "user":
                turns.append(m.text)
                answers.append("")
            elif m.role == "assistant" and turns:
                answers[-1] = m.text

        def titles_for(topic: str) -> list[str]:  # what the caller would be cited for it, as on the page
            return [h.chunk.title for h in assistant.search(topic, TOPIC_HITS, filters) if h.chunk.title]

        question = question_from_turns(turns, answers, titles_for) if any(t.strip() for t in turns) else ""
        try:
            return check_question(question)  # with a follow-up's context
        except AssistantError as exc:
            raise http_error(422, str(exc), "invalid_value", "messages") from None

    def answer(question: str, filters: SearchFilter | None, adapter: str | None, who: Caller,
               on_event: Listener | None = None) -> Answer:
        try:
            return assistant.ask(question, filters=filters, adapter=adapter, user=who.name, on_event=on_event)
        except AssistantError as exc:
            raise http_error(422, str(exc), "invalid_request") from None

    @app.post("/v1/chat/completions", response_model=ChatCompletionOut, responses=ERRORS, tags=["chat"])
    async def chat(request: AssistantChatRequest, who: Caller = Depends(caller)):
        adapter = adapter_for(request.model)
        filters = who.filters(search_filter(request.filters))
        question = question_of(request, filters)
        ident, created = new_id()
        if request.stream:
            gate.admit()  # a full queue is refused with a status code, before the stream starts
            progress = Progress(asyncio.get_running_loop())
            job = lambda: gate.run(answer, question, filters, adapter, who, progress.put)  # noqa: E731 - started in the stream
            return StreamingResponse(_stream(job, progress, ident, created, request.model, question),
                                     media_type="text/event-stream")
        result = await gate.run(answer, question, filters, adapter, who)
        return completion(ident, created, request.model, result.text, assistant=answer_extra(result, question))

    @app.post("/v1/search", response_model=SearchOut, responses=ERRORS, tags=["knowledge base"])
    def search(request: SearchRequest, who: Caller = Depends(caller)) -> dict:
        if request.k > limits.max_k:
            raise http_error(422, f"k may be at most {limits.max_k}, found {request.k}", "invalid_value", "k")
        try:
            hits = assistant.search(request.query, request.k, who.filters(search_filter(request.filters)))
        except AssistantError as exc:
            raise http_error(422, str(exc), "invalid_request") from None
        return {"hits": [hit_to_dict(h) for h in hits]}

    @app.get("/health", tags=["server"])
    def health(request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(bearer)) -> dict:
        """Up, and how much the caller may search: without a key (with a users file) public documents only."""
        if users is None:
            filters = None
        elif credentials is None:
            filters = SearchFilter(groups=())
        else:
            filters = caller(request, credentials).filters()
        documents, chunks = assistant.kb.catalog.counts(filters)
        return {"status": "ok", "documents": documents, "chunks": chunks}

    add_document_routes(app, assistant, caller, limits)
    add_unknown_routes(app)
    return gate


def add_unknown_routes(app, prefix: str = "/v1") -> None:
    """Any other path under `prefix` answers in the API's error shape (404, or 405 with Allow for a known
    path and another method) instead of falling through to the page."""
    from starlette.routing import Match

    @app.api_route(prefix + "/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"],
                   include_in_schema=False)
    def unknown(request: Request, rest: str):
        allowed = sorted({m for route in app.routes if getattr(route, "endpoint", None) is not unknown
                          and route.matches(request.scope)[0] == Match.PARTIAL for m in getattr(route, "methods", ()) or ()})
        if allowed:
            raise http_error(405, f"{request.method} {request.url.path}: expected one of {', '.join(allowed)}",
                             "method_not_allowed", headers={"Allow": ", ".join(allowed)})
        raise http_error(404, f"no route {request.method} {request.url.path}; the API's routes are listed at "
                              "/docs and /openapi.json", "unknown_route")


def answer_extra(answer: Answer, question: str) -> dict:
    return {"question": question, **answer_to_dict(answer)}


def sentence_pieces(text: str) -> list[str]:
    """The answer in sentence-sized pieces (the project's splitter: abbreviations and decimals do not end
    one) that join back to exactly `text`."""
    bounds = [0, *(end for _, end in sentence_spans(text)[:-1]), len(text)]
    return [text[a:b] for a, b in zip(bounds, bounds[1:]) if b > a]


class Progress:
    """The pipeline's events (`Assistant.ask(on_event=...)`, called in the worker thread) handed to the
    stream's event loop, the generator's text pieces coalesced so a client gets a few events a second."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop, self.queue = loop, asyncio.Queue()

    def put(self, kind: str, text: str) -> None:
        self.loop.call_soon_threadsafe(self.queue.put_nowait, (kind, text))

    async def next(self, timeout: float) -> dict | None:
        """{"stage", "draft_delta"} of what happened within `timeout` s (None: nothing did)."""
        try:
            kind, text = await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            return None
        stage, draft = (EVENT_GENERATING, text) if kind == EVENT_TEXT else (kind, "")
        deadline = self.loop.time() + PROGRESS_EVERY_S
        while kind == EVENT_TEXT and self.loop.time() < deadline:
            try:
                kind, text = await asyncio.wait_for(self.queue.get(), deadline - self.loop.time())
            except asyncio.TimeoutError:
                break
            if kind != EVENT_TEXT:
                self.queue.put_nowait((kind, text))  # a new stage: its own event, after this draft
                break
            draft += text
        return {"stage": stage, "draft_delta": draft}


async def _stream(job, progress: Progress, ident: str, created: int, model: str,
                  question: str) -> AsyncIterator[str]:
    """The role at once; while the answer is made, chunks with an empty delta and an
    `assistant_progress` field ({"stage": "generating" | "checking", "draft_delta": the generator's new,
    *unverified* text}) so a client can show a draft as the page does, and keep-alive comments when
    nothing happens; then the verified answer's sentences and a last chunk carrying the `assistant`
    field. Only checked sentences are ever sent as `content`."""
    yield role_event(ident, created, model)
    task = asyncio.ensure_future(job())
    try:
        while not task.done():
            waiter = asyncio.ensure_future(progress.next(KEEPALIVE_S))
            done, _ = await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if waiter not in done:
                waiter.cancel()
                continue
            event = waiter.result()
            yield (chunk_event(ident, created, model, {}, assistant_progress=event) if event
                   else ": waiting for the answer\n\n")
        try:
            result = task.result()
        except Busy as exc:
            yield error_event(str(exc), "server_overloaded", "queue_full")
            return
        except Exception as exc:  # noqa: BLE001 - the status is sent already; the client raises this event
            detail = getattr(exc, "detail", None)
            yield error_event(detail["message"] if isinstance(detail, dict) else f"answering failed: {exc}",
                              "invalid_request_error" if detail else "server_error")
            return
        for event in events(sentence_pieces(result.text), ident, created, model,
                            {"assistant": answer_extra(result, question)}, role=False):
            yield event
    finally:
        if not task.done():
            task.cancel()  # the client went away: leave the queue (a running answer finishes in its thread)
