"""`assistant ingest`: turns the command line's sources (paths, a SQL query, a LangChain loader) into
connectors, runs one ingest over all of them, and keeps incremental-sync state in the KB."""

from __future__ import annotations

import hashlib
import importlib
import json
from itertools import chain
from pathlib import Path
from typing import Any

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.ingest.kb import IngestReport, KnowledgeBase

SQL_FIELDS = ("id", "text", "title", "uri", "acl", "updated")


def run_ingest(args: Any, settings: Settings) -> IngestReport:
    if not (args.paths or args.sql_url or args.loader):
        raise AssistantError("nothing to ingest: give PATH arguments, --sql-url with --sql-query, or --loader")
    connectors, scopes, sql = [], [], None
    from assistant.connectors import connector_for
    from assistant.connectors.registry import guarded

    for raw in args.paths:
        path = Path(raw)
        if (args.include or args.exclude) and not path.is_dir():
            raise AssistantError(f"--include/--exclude filter folders, but {raw} is not a folder")
        connectors.append(connector_for(path, args.include, args.exclude))
        scopes.append(path)
    kb = KnowledgeBase(args.kb, settings, create=True, redaction=args.redact)
    try:
        if args.sql_url:
            sql, state_key = _sql_connector(args, kb)
            connectors.append(sql)
            if args.prune:
                scopes.append(f"sql:{sql.prefix}" if sql.prefix else "sql")
        if args.loader:
            connectors.append(_loader_connector(args))
        # Each connector behind its own boundary: one that raises ends only its own source.
        sources = [getattr(c, "path", None) or type(c).__name__ for c in connectors]
        items = chain.from_iterable(guarded(c.iter_documents, s) for c, s in zip(connectors, sources))
        report = kb.ingest(items, domain=args.domain,
                           progress=True, prune_scopes=scopes if args.prune else ())
        if sql is not None and sql.watermark is not None:
            kb.catalog.set_sync_state(state_key, sql.watermark)
        return report
    finally:
        kb.close()


def _sql_connector(args: Any, kb: KnowledgeBase):
    from assistant.connectors.sql import SQLConnector, mask_url

    if not args.sql_query:
        raise AssistantError("--sql-url needs --sql-query (a SELECT statement or a table name)")
    mapping = _mapping(args.sql_map)
    metadata = [c.strip() for c in args.sql_metadata.split(",") if c.strip()]
    # One sync state per (database, query): a second query on the same database resumes separately.
    state_key = "sql:" + hashlib.sha256(f"{mask_url(args.sql_url)}\n{args.sql_query}".encode()).hexdigest()[:16]
    # --prune needs every row to know which are gone, so it reads the table in full.
    since = None if args.prune or "updated" not in mapping else kb.catalog.sync_state(state_key)
    connector = SQLConnector(args.sql_url, args.sql_query, id_column=mapping["id"], text_column=mapping["text"],
                             title_column=mapping.get("title"), uri_column=mapping.get("uri"),
                             acl_column=mapping.get("acl"), updated_column=mapping.get("updated"),
                             metadata_columns=metadata, since=since, domain=args.domain)
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


def _loader_connector(args: Any):
    from assistant.connectors.langchain_loader import LangChainLoaderConnector

    module_name, _, class_name = args.loader.partition(":")
    try:
        kwargs = json.loads(args.loader_args)
        if not isinstance(kwargs, dict):
            raise ValueError("not a JSON object")
    except ValueError as exc:
        raise AssistantError(f"--loader-args: expected a JSON object of keyword arguments, found "
                             f"{args.loader_args!r} ({exc})") from None
    try:
        loader_class = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError) as exc:
        raise AssistantError(f"--loader: expected MODULE:CLASS of an installed LangChain loader, found "
                             f"{args.loader!r} ({exc}); install its package or fix the name") from None
    try:
        loader = loader_class(**kwargs)
    except Exception as exc:  # noqa: BLE001 - third-party constructors raise anything
        raise AssistantError(f"--loader: {class_name}(**{kwargs}) failed: {exc}") from None
    return LangChainLoaderConnector(loader, domain=args.domain)
