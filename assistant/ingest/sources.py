"""`assistant ingest`: turns the command line's sources (paths, a SQL query, a LangChain loader) into
connectors, runs one ingest over all of them, and keeps incremental-sync state in the KB."""

from __future__ import annotations

import hashlib
import importlib
import json
from dataclasses import dataclass
from itertools import chain
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.ingest.kb import IngestReport, KnowledgeBase

SQL_FIELDS = ("id", "text", "title", "uri", "acl", "updated")
REDACTION = ("auto", "on", "off")


@dataclass(frozen=True)
class IngestRequest:
    """What to ingest into which knowledge base: the one typed input of `run_ingest`. The CLI builds it
    from its flags (`from_args`); a script or a service builds it directly."""

    kb: str | Path
    paths: tuple[str | Path, ...] = ()  # files or folders, format picked per file
    domain: str | None = None  # for documents that do not name one
    include: tuple[str, ...] = ()  # globs, in folders only
    exclude: tuple[str, ...] = ()
    prune: bool = False  # delete documents whose source is gone
    redact: str | None = None  # fixed when the KB is created; None: the KB's (auto for a new one)
    sql_url: str | None = None
    sql_query: str | None = None
    sql_map: str = "id=id,text=text"  # FIELD=COLUMN,... for id, text, title, uri, acl, updated
    sql_metadata: str = ""  # COL,... kept as metadata
    loader: str | None = None  # MODULE:CLASS of a LangChain document loader
    loader_args: str = "{}"  # its keyword arguments, as JSON

    def __post_init__(self) -> None:
        if not (self.paths or self.sql_url or self.loader):
            raise AssistantError("nothing to ingest: give PATH arguments, --sql-url with --sql-query, or --loader")
        if self.redact is not None and self.redact not in REDACTION:
            raise AssistantError(f"redact: expected one of {', '.join(REDACTION)}, found {self.redact!r}")

    @classmethod
    def from_args(cls, args) -> "IngestRequest":
        """From `assistant ingest`'s parsed flags."""
        return cls(kb=args.kb, paths=tuple(args.paths), domain=args.domain, include=tuple(args.include),
                   exclude=tuple(args.exclude), prune=args.prune, redact=args.redact, sql_url=args.sql_url,
                   sql_query=args.sql_query, sql_map=args.sql_map, sql_metadata=args.sql_metadata,
                   loader=args.loader, loader_args=args.loader_args)


def run_ingest(request: IngestRequest, settings: Settings) -> IngestReport:
    """Every source of the request through one `KnowledgeBase.ingest` (one error entry per bad input)."""
    connectors, scopes, sql = [], [], None
    from assistant.connectors import connector_for
    from assistant.connectors.registry import guarded

    for raw in request.paths:
        path = Path(raw)
        if (request.include or request.exclude) and not path.is_dir():
            raise AssistantError(f"--include/--exclude filter folders, but {raw} is not a folder")
        connectors.append(connector_for(path, request.include, request.exclude))
        scopes.append(path)
    kb = KnowledgeBase(request.kb, settings, create=True, redaction=request.redact)
    try:
        if request.sql_url:
            sql, state_key = _sql_connector(request, kb)
            connectors.append(sql)
            if request.prune:
                scopes.append(f"sql:{sql.prefix}" if sql.prefix else "sql")
        if request.loader:
            connectors.append(_loader_connector(request))
        # Each connector behind its own boundary: one that raises ends only its own source.
        sources = [getattr(c, "path", None) or type(c).__name__ for c in connectors]
        items = chain.from_iterable(guarded(c.iter_documents, s) for c, s in zip(connectors, sources))
        report = kb.ingest(items, domain=request.domain,
                           progress=True, prune_scopes=scopes if request.prune else ())
        if sql is not None and sql.watermark is not None:
            kb.catalog.set_sync_state(state_key, sql.watermark)
        return report
    finally:
        kb.close()


def _sql_connector(request: IngestRequest, kb: KnowledgeBase):
    from assistant.connectors.sql import SQLConnector, mask_url

    if not request.sql_query:
        raise AssistantError("--sql-url needs --sql-query (a SELECT statement or a table name)")
    mapping = _mapping(request.sql_map)
    metadata = [c.strip() for c in request.sql_metadata.split(",") if c.strip()]
    # One sync state per (database, query): a second query on the same database resumes separately.
    state_key = "sql:" + hashlib.sha256(f"{mask_url(request.sql_url)}\n{request.sql_query}".encode()).hexdigest()[:16]
    # --prune needs every row to know which are gone, so it reads the table in full.
    since = None if request.prune or "updated" not in mapping else kb.catalog.sync_state(state_key)
    connector = SQLConnector(request.sql_url, request.sql_query, id_column=mapping["id"], text_column=mapping["text"],
                             title_column=mapping.get("title"), uri_column=mapping.get("uri"),
                             acl_column=mapping.get("acl"), updated_column=mapping.get("updated"),
                             metadata_columns=metadata, since=since, domain=request.domain)
    return connector, state_key


def _mapping(text: str) -> dict[str, str]:
    mapping = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        field, sep, column = part.partition("=")
        if not sep or field.strip() not in SQL_FIELDS or not column.strip():
            raise AssistantError(f"--sql-map: expected FIELD=COLUMN pairs with FIELD in {', '.join(SQL_FIELDS)}, "
                                 f"found {part!r}")
        mapping[field.strip()] = column.strip()
    missing = [f for f in ("id", "text") if f not in mapping]
    if missing:
        raise AssistantError(f"--sql-map must name the {' and '.join(missing)} column, e.g. id=note_id,text=body")
    return mapping


def _loader_connector(request: IngestRequest):
    from assistant.connectors.langchain_loader import LangChainLoaderConnector

    module_name, _, class_name = request.loader.partition(":")
    try:
        kwargs = json.loads(request.loader_args)
        if not isinstance(kwargs, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise AssistantError(f"--loader-args: expected a JSON object of keyword arguments, found "
                             f"{request.loader_args!r} ({exc})") from None
    try:
        loader_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise AssistantError(f"--loader: expected MODULE:CLASS of an installed LangChain loader, found "
                             f"{request.loader!r} ({exc}); install its package or fix the name") from None
    try:
        loader = loader_class(**kwargs)
    except Exception as exc:  # noqa: BLE001 - third-party constructors raise anything
        raise AssistantError(f"--loader: {class_name}(**{kwargs}) failed: {exc}") from None
    return LangChainLoaderConnector(loader, domain=request.domain)
