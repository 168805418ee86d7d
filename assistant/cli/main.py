"""`assistant` command line. JSON output shapes are stable: benchmarks and integrations rely on them.

Exit codes: 0 success; 1 some input failed (the rest was still processed); 2 usage or setup error."""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from pathlib import Path

from assistant.cli import adapters as cli_adapters
from assistant.cli import audit as cli_audit
from assistant.cli import eval as cli_eval
from assistant.cli import injection as cli_injection
from assistant.cli import users as cli_users
from assistant.cli import verify as cli_verify
from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.text import check_question
from assistant.core.types import SearchFilter

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
DATE = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="assistant", description="Cited, verified answers from your own documents.")
    parser.add_argument("--config", help="settings TOML file (default: $ASSISTANT_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", help="add files, folders, records, a SQL query or a LangChain loader to a KB")
    p.add_argument("paths", nargs="*", metavar="PATH", help="files or folders (format picked automatically)")
    p.add_argument("--kb", required=True, help="knowledge-base directory (created if missing)")
    p.add_argument("--domain", help="domain for documents that do not name one (e.g. healthcare, legal)")
    p.add_argument("--include", action="append", default=[], metavar="GLOB",
                   help="in folders, read only files matching GLOB (relative path or name; repeatable)")
    p.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="in folders, skip files matching GLOB")
    p.add_argument("--prune", action="store_true",
                   help="delete documents whose source (a file under PATH, or a row of --sql-query) is gone")
    p.add_argument("--redact", choices=("auto", "on", "off"),
                   help="PHI/PII redaction, fixed when the KB is created (auto = healthcare documents only)")
    p.add_argument("--sql-url", help="SQLAlchemy URL, e.g. postgresql+psycopg://user:pw@host/db")
    p.add_argument("--sql-query", help="SELECT statement or table name (with --sql-url)")
    p.add_argument("--sql-map", default="id=id,text=text", metavar="FIELD=COLUMN,...",
                   help="columns for id, text and optionally title, uri, acl, updated (incremental sync)")
    p.add_argument("--sql-metadata", default="", metavar="COL,...", help="columns kept as metadata")
    p.add_argument("--loader", metavar="MODULE:CLASS",
                   help="a LangChain document loader, e.g. langchain_community.document_loaders:CSVLoader")
    p.add_argument("--loader-args", default="{}", metavar="JSON", help="keyword arguments for --loader")
    p.add_argument("--json", action="store_true", help="print a JSON summary")

    p = sub.add_parser("search", help="retrieve passages")
    p.add_argument("query", nargs="?")
    p.add_argument("--kb", required=True)
    p.add_argument("-k", type=int, default=10)
    p.add_argument("--queries", help='JSONL file of {"id", "query"}; one JSON line of hits per query')
    p.add_argument("--json", action="store_true")
    _add_filter_arguments(p)
    _add_server_argument(p)

    p = sub.add_parser("ask", help="answer a question with citations")
    p.add_argument("question", nargs="?")
    p.add_argument("--kb", required=True)
    p.add_argument("--adapter", help="LoRA adapter for the generator: a registered name (assistant adapters "
                                     "list), a PEFT adapter directory, 'auto' (every registered adapter loaded; "
                                     "each question gets the one of its passages' domain) or 'base'")
    p.add_argument("--questions", help='JSONL file of {"id", "question"}; one JSON answer line per question')
    p.add_argument("--user", help="who is asking, recorded in the audit log")
    p.add_argument("--json", action="store_true")
    _add_filter_arguments(p)
    _add_server_argument(p)

    for name, text in (("serve", "serve the web page"), ("demo", "build the bundled demo KB if needed, then serve")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--kb", required=name == "serve", default=None if name == "serve" else ".kb/demo")
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=7860)
        p.add_argument("--adapter")
        p.add_argument("--reports", metavar="DIR", help="show the `assistant eval` reports under DIR in an "
                                                        "Evaluation tab")
        p.add_argument("--users", metavar="FILE", help="users file (`assistant users`): the page asks for a login, "
                                                       "the API for a key, and each user sees only their groups' "
                                                       "documents. Without it: no login and no ACL check")
        p.add_argument("--kb-root", metavar="DIR", help="folder of knowledge bases the page offers (and creates "
                                                        "new ones in) besides --kb; default: the folder holding --kb")
        p.add_argument("--allow-origin", action="append", default=[], metavar="URL",
                       help="another site whose pages may upload, delete or ask (e.g. https://intranet.example); "
                            "by default only the server's own page may send changes")
        p.add_argument("--open-to-network", action="store_true",
                       help="allow a non-loopback --host without --users (no login, no ACL: anyone who reaches it "
                            "may read and change every document)")
    p = sub.add_parser("serve-model", help="serve the generator and its adapters as an OpenAI-compatible "
                                            "chat-completions API (each adapter under its own model name)")
    p.add_argument("--adapters", nargs="*", default=None,
                   help="registered adapter names to serve (default: all registered; none given: base only)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    cli_adapters.add_parser(sub)
    cli_audit.add_parser(sub)
    cli_verify.add_parser(sub)
    cli_eval.add_parser(sub)
    cli_users.add_parser(sub)
    cli_injection.add_parser(sub)
    return parser


def _add_server_argument(p: argparse.ArgumentParser) -> None:
    p.add_argument("--no-server", action="store_true",
                   help="load the models in this process even when `assistant serve` runs on this KB (by default "
                        "a single question or query goes to that server: no model loading)")


def _add_filter_arguments(p: argparse.ArgumentParser) -> None:
    f = p.add_argument_group("filters",
                             "applied inside the search: k hits come back whenever k permitted passages exist")
    f.add_argument("--domain", action="append", default=[], metavar="D", help="only documents of domain D (repeatable)")
    f.add_argument("--source", action="append", default=[], metavar="S",
                   help="only documents whose source is S, or starts with S when S ends in / or * (repeatable)")
    f.add_argument("--doc-type", action="append", default=[], metavar="T",
                   help="only documents whose metadata format or doc_type is T, e.g. pdf (repeatable)")
    f.add_argument("--since", metavar="DATE",
                   help="only documents whose metadata date is on or after DATE (YYYY[-MM[-DD]])")
    f.add_argument("--until", metavar="DATE", help="only documents whose metadata date is on or before DATE")
    acl = f.add_mutually_exclusive_group()
    acl.add_argument("--group", action="append", metavar="G",
                     help="ACL group of the caller (repeatable): documents with an ACL are shown only to a caller "
                          "sharing one of its groups. Without --group or --public-only no ACL is checked")
    acl.add_argument("--public-only", action="store_true",
                     help="a caller in no group: only documents without an ACL")


def _filters(args) -> SearchFilter | None:
    """The SearchFilter the flags describe, or None when none was given."""
    for flag, value in (("--since", args.since), ("--until", args.until)):
        if value is not None and not DATE.fullmatch(value):
            raise AssistantError(f"{flag} expects an ISO date YYYY, YYYY-MM or YYYY-MM-DD, found {value!r}; "
                                 f"e.g. {flag} 2024-03-15")
    groups = tuple(args.group) if args.group else (() if args.public_only else None)
    filters = SearchFilter(domains=tuple(args.domain), sources=tuple(_source(s) for s in args.source),
                           doc_types=tuple(args.doc_type),
                           date_from=args.since, date_to=args.until, groups=groups)
    return None if filters.is_empty else filters


def _source(value: str) -> str:
    """File documents store their resolved absolute path as source, so a path given here that exists is
    resolved the same way; a folder means everything under it. Other sources ("sql:notes") stay as typed."""
    star = value.endswith("*")
    core = value[:-1] if star else value
    path = Path(core).expanduser()
    if not core or not path.exists():
        return value
    resolved = str(path.resolve())
    if path.is_dir() and not star:
        resolved = resolved.rstrip("/") + "/"
    return resolved + ("*" if star else "")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.load(args.config)
        if getattr(args, "adapter", None):
            settings = settings.with_overrides("generator", adapter=args.adapter)
        return COMMANDS[args.command](args, settings)
    except AssistantError as exc:
        print(f"assistant: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("assistant: interrupted", file=sys.stderr)
        return 130


def _ingest(args, settings: Settings) -> int:
    from assistant.ingest.sources import IngestRequest, run_ingest

    # A typo'd path is a usage error, found before anything (the KB folder included) is created.
    missing = [p for p in args.paths if not Path(p).expanduser().exists()]
    if missing:
        print(f"error: ingest: expected existing files or folders, found nothing at {', '.join(missing)}; "
              f"check the path (nothing was created)", file=sys.stderr)
        return EXIT_USAGE
    report = run_ingest(IngestRequest.from_args(args), settings)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        print(f"{report.documents_added} added, {report.documents_updated} updated, "
              f"{report.documents_unchanged} unchanged, {report.documents_pruned} pruned, "
              f"{report.chunks_added} chunks added in {report.seconds:.1f} s, {len(report.errors)} errors")
        if report.redactions:
            print("redacted: " + ", ".join(f"{n} {kind}" for kind, n in report.redactions.items()))
        for err in report.errors:
            print(f"  error: {err['source']}: {err['error']}", file=sys.stderr)
        for warning in report.warnings:
            print(f"  warning: {warning['source']}: {warning['warning']}", file=sys.stderr)
        for item in report.skipped:
            print(f"  skipped: {item['source']}: {item['reason']}", file=sys.stderr)
    return EXIT_INPUT if report.errors else EXIT_OK


def _search(args, settings: Settings) -> int:
    from assistant.core.serialize import hit_to_dict
    from assistant.ingest.kb import KnowledgeBase
    from assistant.retrieval.retriever import HybridRetriever

    if bool(args.query) == bool(args.queries):
        raise AssistantError("give either a QUERY or --queries FILE.jsonl, not both or neither")
    if not 1 <= args.k <= 1000:
        raise AssistantError(f"-k must be between 1 and 1000, found {args.k}")
    from assistant.cli import warm

    filters = _filters(args)
    if not args.queries:
        query = check_question(args.query, "query")
        server = warm.endpoint(args, filters)
        hits = warm.search(server, args, query, filters) if server else None
        if hits is not None:
            return _print_hits(hits, args.json)
    retriever = HybridRetriever(KnowledgeBase(args.kb, settings))
    if args.queries:
        items, failed = _read_batch(args.queries, "query")
        for start in range(0, len(items), 64):
            batch = items[start:start + 64]
            for (qid, query), hits in zip(batch, retriever.search_many([q for _, q in batch], args.k, filters)):
                print(json.dumps({"id": qid, "hits": [hit_to_dict(h) for h in hits]}, ensure_ascii=False), flush=True)
        return EXIT_INPUT if failed else EXIT_OK
    return _print_hits([hit_to_dict(h) for h in retriever.search(query, args.k, filters)], args.json)


def _print_hits(hits: list[dict], as_json: bool) -> int:
    if as_json:
        print(json.dumps({"hits": hits}, ensure_ascii=False))
        return EXIT_OK
    for rank, hit in enumerate(hits, start=1):
        where = " · ".join(p for p in (hit["title"], hit["locator"]) if p)
        print(f"{rank:2d}. [{hit['score']:.3f}] {hit['doc_id']} — {where}")
        print("    " + " ".join(hit["text"].split())[:200])
    return EXIT_OK


def _ask(args, settings: Settings) -> int:
    from assistant.core.serialize import answer_to_dict
    from assistant.ingest.kb import KnowledgeBase
    from assistant.pipeline import Assistant

    if bool(args.question) == bool(args.questions):
        raise AssistantError("give either a QUESTION or --questions FILE.jsonl, not both or neither")
    from assistant.cli import warm

    filters = _filters(args)
    if not args.questions:
        question = check_question(args.question)
        server = warm.endpoint(args, filters)
        served = warm.ask(server, args, question, filters) if server else None
        if served is not None:
            return _print_answer(served, args.json)
    started = time.perf_counter()
    assistant = Assistant(KnowledgeBase(args.kb, settings))
    if args.questions:
        items, failed = _read_batch(args.questions, "question")
        for qid, question in items:
            answer = assistant.ask(question, filters, user=args.user)
            print(json.dumps({"id": qid, **answer_to_dict(answer)}, ensure_ascii=False), flush=True)
        return EXIT_INPUT if failed else EXIT_OK
    assistant.warm_up()
    load = time.perf_counter() - started  # reported apart: a served question costs none of it
    d = answer_to_dict(assistant.ask(question, filters, user=args.user))
    d["timings"] = {"load": round(load, 3), **d["timings"]}
    return _print_answer(d, args.json)


def _print_answer(d: dict, as_json: bool) -> int:
    """One answer (answer_to_dict's shape, in-process or from the server) as --json or as text."""
    if as_json:
        print(json.dumps(d, ensure_ascii=False))
        return EXIT_OK
    print(d["answer"])
    if d["citations"]:
        print()
    for c in d["citations"]:
        where = " · ".join(p for p in (c["title"], c["locator"]) if p)
        print(f"[{c['n']}] {where} ({c['doc_id']})")
    for s in d["sentences"]:
        if s["verdict"] != "supported":
            print(f"  ! unsupported: {s['text']}", file=sys.stderr)
    if d["abstained"] and d["closest"]:
        print("\nClosest passages:")
        for h in d["closest"][:3]:
            print(f"  - {h['title']} ({h['doc_id']}): {' '.join(h['text'].split())[:160]}")
    return EXIT_OK


def _read_batch(path: str, field: str) -> tuple[list[tuple[str, str]], int]:
    """Valid (id, text) pairs; malformed lines are reported on stderr and counted."""
    file = Path(path)
    if not file.is_file():
        raise AssistantError(f"{path} does not exist; expected a JSONL file of {{\"id\", \"{field}\"}} lines")
    items, failed = [], 0
    for lineno, line in enumerate(file.read_text(encoding="utf-8", errors="replace").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            text = record[field]
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"'{field}' must be a non-empty string")
            items.append((str(record.get("id", lineno)), text))
        except (ValueError, KeyError, TypeError) as exc:
            failed += 1
            print(f"assistant: {path}:{lineno}: skipped, expected {{\"id\", \"{field}\"}}: {exc}", file=sys.stderr)
    return items, failed


def _serve(args, settings: Settings) -> int:
    from assistant.apps.server import ServeRefused, serve

    try:
        serve(args.kb, settings, host=args.host, port=args.port, reports=args.reports, users=args.users,
              kb_root=args.kb_root, allow_origins=args.allow_origin, open_network=args.open_to_network)
    except ServeRefused as exc:
        print(f"assistant: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def _serve_model(args, settings: Settings) -> int:
    import uvicorn

    from assistant.apps.model_server import LocalChatModel, create_app
    from assistant.generation.adapters.registry import AdapterRegistry, default_root
    from assistant.generation.adapters.serving import AdapterGenerator

    config = settings.generator
    if args.adapters == []:
        generator = AdapterGenerator({}, config)
    else:
        generator = AdapterGenerator.from_registry(AdapterRegistry(default_root(config)), args.adapters,
                                                   config)
    generator.warm_up()
    chat = LocalChatModel(generator)
    print(f"serving {', '.join(chat.served_models())} at http://{args.host}:{args.port}/v1", file=sys.stderr)
    uvicorn.run(create_app(chat, config.max_new_tokens), host=args.host, port=args.port, log_level="warning")
    return EXIT_OK


def _demo(args, settings: Settings) -> int:
    from assistant.demo import ensure_demo_kb

    ensure_demo_kb(args.kb, settings)
    return _serve(args, settings)


COMMANDS = {"ingest": _ingest, "search": _search, "ask": _ask, "serve": _serve, "demo": _demo,
            "adapters": cli_adapters.run, "serve-model": _serve_model, "audit": cli_audit.run,
            "verify": cli_verify.run, "verifier": cli_verify.run, "eval": cli_eval.run, "injection": cli_injection.run,
            "users": cli_users.run}

if __name__ == "__main__":
    sys.exit(main())
