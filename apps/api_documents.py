"""The documents routes of the API: upload (multipart files or JSON text records), list and delete, each
limited to what the caller may see. New documents get the caller's groups as their ACL, or a subset the
caller names; a caller with no group cannot upload (the documents would be public)."""

from __future__ import annotations

import anyio
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from assistant.catalog import DocumentRecord
from assistant.errors import KnowledgeBaseError
from assistant.pipeline import Assistant
from assistant.uploads import TextDocument, UploadLimits, delete_visible, ingest_files, ingest_texts

from .api import ERRORS, Caller, http_error
from .api_models import DeletedOut, DocumentList, DocumentsIn, IngestOut
from .limits import ApiLimits

UPLOAD_FORM = {"type": "object", "required": ["files"], "properties": {
    "files": {"type": "array", "items": {"type": "string", "format": "binary"},
              "description": "documents (.txt .md .html .pdf .docx ..., or a .zip of them); stored under "
                             "uploads/<groups>/ like the page's uploads"},
    "groups": {"type": "array", "items": {"type": "string"}, "description": "subset of your groups (default: all)"},
    "domain": {"type": "string", "description": "healthcare, legal, ... (default: detected)"}}}


def add_document_routes(app, assistant: Assistant, caller, limits: ApiLimits) -> None:
    kb = assistant.kb
    upload_limits = UploadLimits(files=limits.files, file_bytes=limits.file_bytes)

    @app.get("/v1/documents", response_model=DocumentList, responses=ERRORS, tags=["knowledge base"])
    def list_documents(who: Caller = Depends(caller)) -> dict:
        with kb.lock:  # not half-way through another request's ingest
            records = kb.catalog.documents(who.filters())
        return {"object": "list", "data": [_record(r) for r in records]}

    @app.post("/v1/documents", response_model=IngestOut, responses=ERRORS, tags=["knowledge base"],
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": _inline(DocumentsIn.model_json_schema())},
                  "multipart/form-data": {"schema": UPLOAD_FORM}}}})
    async def upload(request: Request, who: Caller = Depends(caller)) -> dict:
        kind = request.headers.get("content-type", "")
        if kind.startswith("multipart/form-data"):
            form = await request.form(max_files=limits.files, max_fields=limits.files + 64)
            files = [f for f in form.getlist("files") if not isinstance(f, str)]
            if not files:
                raise http_error(422, "expected one or more files in the form field `files`, found none",
                                 "invalid_value", "files")
            groups = [g.strip() for v in form.getlist("groups") if isinstance(v, str) for g in v.split(",") if g.strip()]
            domain = form.get("domain") if isinstance(form.get("domain"), str) else None
            contents = [(f.filename or "upload", await f.read()) for f in files]
            acl = _acl(who, groups or None)
            job = lambda: ingest_files(kb, contents, acl, who.groups, domain or None, upload_limits)  # noqa: E731
        elif kind.startswith("application/json"):
            try:
                body = DocumentsIn.model_validate_json(await request.body())
            except ValidationError as exc:
                raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
            acl = _acl(who, body.groups)
            texts = [TextDocument(d.text, d.id, d.title, d.domain, d.metadata) for d in body.documents]
            job = lambda: ingest_texts(kb, texts, acl, who.groups, body.domain)  # noqa: E731
        else:
            raise http_error(415, f"expected multipart/form-data (files) or application/json (text documents), "
                                  f"found {kind or 'no Content-Type'}", "unsupported_media_type")
        try:
            report = await anyio.to_thread.run_sync(job)
        except KnowledgeBaseError as exc:  # another process holds the KB's write lock
            raise http_error(409, str(exc), "kb_busy") from None
        return report.to_dict()

    @app.delete("/v1/documents/{doc_id:path}", response_model=DeletedOut, responses=ERRORS,
                tags=["knowledge base"])
    def delete_document(doc_id: str, who: Caller = Depends(caller)) -> dict:
        try:
            record = delete_visible(kb, doc_id, who.groups)
        except KnowledgeBaseError as exc:
            raise http_error(409, str(exc), "kb_busy") from None
        if record is None:  # the same answer whether it is absent or hidden: a caller learns nothing of others' ids
            raise http_error(404, f"no document {doc_id!r} that you may see; GET /v1/documents lists yours",
                             "document_not_found", "doc_id")
        return {"id": doc_id, "deleted": True}


def _acl(who: Caller, groups: list[str] | None) -> tuple[str, ...]:
    """The ACL of a caller's new documents: the named groups (a subset of the caller's), else all of them."""
    if who.groups is None:  # the local caller: what it names, or public
        return tuple(groups or ())
    if groups:
        outside = sorted(set(groups) - set(who.groups))
        if outside:
            raise http_error(403, f"groups {outside} are not yours; expected a subset of {list(who.groups)}",
                             "forbidden_group", "groups")
        return tuple(dict.fromkeys(groups))
    if not who.groups:
        raise http_error(403, f"user {who.name} belongs to no group, so an upload would be public; ask an admin "
                              "to add you to a group (`assistant users --file USERS groups NAME --group G`)", "no_group")
    return who.groups


def _record(r: DocumentRecord) -> dict:
    return {"id": r.id, "title": r.title, "source": r.source, "domain": r.domain, "chunks": r.chunk_count,
            "ingested_at": r.ingested_at, "date": r.date, "acl": list(r.acl)}


def _inline(schema: dict) -> dict:
    """A pydantic schema with its `$defs` inlined: OpenAPI resolves `#/...` against the whole spec."""
    defs = schema.pop("$defs", {})

    def walk(node):
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return walk(defs[ref.rsplit("/", 1)[1]])
            return {k: walk(v) for k, v in node.items()}
        return [walk(v) for v in node] if isinstance(node, list) else node

    return walk(schema)
