"""`assistant audit --kb DIR [--since DATE] [--user U] [--limit N] [--json]`: read a knowledge base's
append-only audit log, newest first. Kept apart from cli.py, which only registers the command.

`--json` prints one object, `{"path": ..., "records": [...]}`, each record with the fields of
`assistant.reliability.audit.AuditRecord`; integrations script against that shape."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings

_SINCE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")


def add_parser(sub) -> None:
    p = sub.add_parser("audit", help="read the audit log: one record per answer (who, when, which passages, "
                                     "verdicts)")
    p.add_argument("--kb", required=True, help="knowledge-base directory (its audit.sqlite, unless "
                                               "[reliability] audit_path names another file)")
    p.add_argument("--since", metavar="DATE", help="records at or after DATE, UTC (YYYY-MM-DD[THH:MM[:SS]])")
    p.add_argument("--user", help="only this user's records")
    p.add_argument("--limit", type=int, default=50, help="at most N records, newest first (default 50)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--feedback", metavar="OUT.jsonl",
                   help="instead, export the feedback given on answers (latest per answer and user) as JSONL: "
                        "question, answer, passages, rating, comment, model, adapter; '-' for standard output")


def run(args, settings: Settings) -> int:
    from assistant.pipeline import audit_path
    from assistant.reliability.audit import AuditLog

    if args.since is not None and not _SINCE.fullmatch(args.since):
        raise AssistantError(f"--since expects YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS] (UTC), found {args.since!r}; "
                             f"e.g. --since 2026-01-31")
    if not 1 <= args.limit <= 100_000:
        raise AssistantError(f"--limit must be between 1 and 100000, found {args.limit}")
    if not Path(args.kb).is_dir():
        raise AssistantError(f"knowledge base {args.kb} does not exist; pass the --kb directory questions "
                             f"were asked of")
    log = AuditLog(audit_path(args.kb, settings.reliability.audit_path))
    if args.feedback:
        return _export_feedback(log, args)
    try:
        # "T" is how records store times; a space typed by the user means the same.
        records = log.read(since=args.since.replace(" ", "T") if args.since else None, user=args.user,
                           limit=args.limit)
    finally:
        log.close()
    if args.json:
        print(json.dumps({"path": str(log.path), "records": [r.to_dict() for r in records]}, ensure_ascii=False))
        return 0
    for r in records:
        outcome = f"abstained ({r.abstain_reason})" if r.abstained else f"answered, confidence {r.confidence:.2f}"
        verdicts = ", ".join(v["verdict"] for v in r.verdicts) or "no sentences"
        print(f"{r.time_utc}  #{r.id}  user={r.user or '-'}  question={r.question_sha256[:12]}  {outcome}")
        print(f"    model {r.model}{' + ' + r.adapter if r.adapter else ''}{'  (escalated)' if r.escalated else ''}"
              f"  ·  {r.latency_s:.2f} s  ·  passages {', '.join(r.retrieved) or '-'}")
        print(f"    verdicts: {verdicts}" + (f"  ·  quarantined: {', '.join(r.quarantined)}" if r.quarantined else ""))
    if not records:
        print("no records match")
    return 0


def _export_feedback(log, args) -> int:
    try:
        rows = log.feedback(since=args.since.replace(" ", "T") if args.since else None)
    finally:
        log.close()
    lines = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)
    if args.feedback == "-":
        sys.stdout.write(lines)
    else:
        Path(args.feedback).write_text(lines, encoding="utf-8")
        up = sum(r["rating"] > 0 for r in rows)
        down = sum(r["rating"] < 0 for r in rows)
        print(f"{len(rows)} feedback records ({up} up, {down} down) written to {args.feedback}")
    return 0
