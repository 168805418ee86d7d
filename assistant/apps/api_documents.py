"""The documents routes of the API: upload (multipart files or JSON text records), list and delete, each
limited to what the caller may see and, for changes, to what their roles allow (`assistant.users`:
`upload_acl` gives a new document's ACL, `may_write` who may replace or delete one). Text records of a
signed-in caller are stored under their ACL's namespace; the response lists the ids given."""

from __future__ import annotations

import anyio
from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from assistant.apps.api_caller import ERRORS, Caller, http_error
from assistant.apps.api_models import DeletedOut, DocumentList, DocumentsIn, IngestOut
from assistant.apps.limits import ApiLimits
from assistant.core.errors import KnowledgeBaseError
from assistant.core.users import upload_acl
from assistant.ingest.catalog import DocumentRecord
from assistant.ingest.uploads import (
    TextDocument,
    UploadLimits,
    delete_visible,
    ingest_files,
    ingest_texts,
    text_id,
)
from assistant.pipeline import Assistant

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
            acl = upload_acl(who.user, groups or None)
            ids: list[str] = []
            job = lambda: ingest_files(kb, contents, acl, who.user, domain or None, upload_limits)  # noqa: E731
        elif kind.startswith("application/json"):
            try:
                body = DocumentsIn.model_validate_json(await request.body())
            except ValidationError as exc:
                raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None
            if len(body.documents) > limits.files:  # the limit lives in ApiLimits only, as for files
                raise http_error(422, f"at most {limits.files} documents per upload, found {len(body.documents)}; "
                                      "send the rest in another request", "invalid_value", "documents")
            acl = upload_acl(who.user, body.groups)
            texts = [TextDocument(d.text, d.id, d.title, d.domain, d.metadata) for d in body.documents]
            ids = [text_id(t, acl, who.user) for t in texts]
            job = lambda: ingest_texts(kb, texts, acl, who.user, body.domain)  # noqa: E731
        else:
            raise http_error(415, f"expected multipart/form-data (files) or application/json (text documents), "
                                  f"found {kind or 'no Content-Type'}", "unsupported_media_type")
        try:
            report = await anyio.to_thread.run_sync(job)
        except KnowledgeBaseError as exc:  # another process holds the KB's write lock
            raise http_error(409, str(exc), "kb_busy") from None
        return {**report.to_dict(), "ids": ids}

    @app.delete("/v1/documents/{doc_id:path}", response_model=DeletedOut, responses=ERRORS,
                tags=["knowledge base"])
    def delete_document(doc_id: str, who: Caller = Depends(caller)) -> dict:
        try:
            record = delete_visible(kb, doc_id, who.user)
        except KnowledgeBaseError as exc:
            raise http_error(409, str(exc), "kb_busy") from None
        if record is None:  # the same answer whether it is absent or hidden: a caller learns nothing of others' ids
            raise http_error(404, f"no document {doc_id!r} that you may see; GET /v1/documents lists yours",
                             "document_not_found", "doc_id")
        return {"id": doc_id, "deleted": True}


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
