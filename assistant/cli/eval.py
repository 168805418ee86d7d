"""`assistant eval retrieval|qa|verify|answers`: measure a knowledge base, the generator (or an adapter)
and the verifier on labelled questions, and write a report folder (report.md, report.json, PNG plots).
Kept apart from cli.py, which only registers the command; the work is in assistant/eval/."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings

COMMANDS = ("retrieval", "qa", "verify", "answers")
DEFAULT_LIMIT = {"qa": 5, "answers": 5}  # the generator takes ~5-20 s an answer on 2 CPU cores
DEFAULT_VARIANT = {"retrieval": "hybrid"}
RESULTS_VERSION = 2  # part of every cached result's key: bump when what a record holds changes


def add_parser(sub) -> None:
    p = sub.add_parser("eval", help="evaluate retrieval, answers or the verifier on labelled questions; "
                                    "writes a report folder")
    p.add_argument("what", choices=COMMANDS, help="retrieval: nDCG/Recall/MRR; qa: answer F1 and label accuracy; "
                                                  "verify: the verifier on labelled claims; answers: faithfulness, "
                                                  "citations, abstention, latency")
    p.add_argument("--data", required=True, help="a JSONL file of questions (see README), a topics file with "
                                                 "--qrels, or a shared set: pubmedqa, medquad[:COLLECTION], "
                                                 "cuad[:N], healthver, contractnli")
    p.add_argument("--qrels", help="TREC qrels (qid 0 docid grade); --data is then the topics file")
    p.add_argument("--kb", help="knowledge-base directory (all but verify)")
    p.add_argument("--out", required=True, help="report folder; per-question results are cached there, so "
                                                "rerunning the same command resumes where it stopped")
    p.add_argument("--k", type=int, default=10, help="retrieval depth judged (default 10)")
    p.add_argument("--limit", type=int, help="at most N questions, a fixed sample (0: all; default all, or 5 "
                                             "for qa/answers)")
    p.add_argument("--compare", metavar="A,B", help="two configurations on the same questions: retrieval "
                                                    "hybrid|bm25|dense; qa/answers an adapter (base, auto, a "
                                                    "name); any: a settings TOML file")
    p.add_argument("--seed", type=int, default=0, help="bootstrap seed")
    p.add_argument("--json", action="store_true", help="print report.json")


@dataclass
class Variant:
    label: str
    settings: Settings
    option: str  # retrieval mode, or the adapter requested ("default": as configured)


def _variants(args, settings: Settings) -> list[Variant]:
    specs = [s.strip() for s in args.compare.split(",")] if args.compare else [DEFAULT_VARIANT.get(args.what, "default")]
    if len(specs) != 2 and args.compare:
        raise AssistantError(f"--compare expects two configurations A,B (e.g. bm25,hybrid), found {args.compare!r}")
    out = []
    for spec in specs:
        if spec.endswith(".toml"):
            out.append(Variant(Path(spec).stem, Settings.load(spec), DEFAULT_VARIANT.get(args.what, "default")))
        else:
            out.append(Variant(spec, settings, spec))
    if args.what == "retrieval":
        from assistant.eval.retrieval import MODES

        bad = [v.option for v in out if v.option not in MODES]
        if bad:
            raise AssistantError(f"eval retrieval: expected configurations among {', '.join(MODES)} or a .toml "
                                 f"file, found {bad}")
    if len({v.label for v in out}) < len(out):
        raise AssistantError(f"--compare names the same configuration twice ({args.compare}); give two different ones")
    return out


def _items(args, embedder_factory, cache_dir: Path):
    """The questions kept, how many were read, and the --limit applied. `cache_dir`: where ContractNLI
    claims' retrieved evidence is kept between runs."""
    from assistant.eval.items import load_jsonl, load_qrels
    from assistant.eval.shared import load_named

    if args.qrels:
        items = load_qrels(args.data, args.qrels)
    elif Path(args.data).is_file():
        items = load_jsonl(args.data)
    else:
        embedder = None
        if args.what == "verify" and args.data.startswith("contractnli"):
            # Only ContractNLI claims need one (their evidence is retrieved), cached per embedding model.
            embedder = embedder_factory()
            cache_dir = cache_dir / hashlib.sha1(embedder.identity.encode()).hexdigest()[:12]
        items = load_named(args.data, verify=args.what == "verify", embedder=embedder, cache_dir=cache_dir)
    usable = {"retrieval": lambda i: i.relevance or i.evidence, "verify": lambda i: i.evidence and i.label,
              "qa": lambda i: i.answer or i.label or not i.answerable, "answers": lambda i: True}[args.what]
    kept = [i for i in items if usable(i)]
    if not kept:
        need = {"retrieval": '"relevant" or "evidence"', "verify": '"evidence" and "label"',
                "qa": '"answer", "label" or "answerable": false', "answers": "a question"}[args.what]
        raise AssistantError(f"eval {args.what}: expected questions with {need}, found none of {len(items)} in "
                             f"{args.data}")
    limit = DEFAULT_LIMIT.get(args.what, 0) if args.limit is None else args.limit
    if limit and limit < len(kept):
        # A fixed sample by hashed id: a larger --limit extends it, so cached results are reused.
        kept = sorted(kept, key=lambda i: hashlib.sha1(i.id.encode()).hexdigest())[:limit]
    return kept, len(items), limit


def run(args, settings: Settings) -> int:
    from assistant.eval import report
    from assistant.eval.cache import ResultCache, run_cached

    if not 1 <= args.k <= 1000:
        raise AssistantError(f"--k must be between 1 and 1000, found {args.k}")
    if args.what != "verify" and not args.kb:
        raise AssistantError(f"eval {args.what} needs --kb DIR, the knowledge base the questions are asked of")
    variants = _variants(args, settings)
    out = Path(args.out)
    built: dict = {}  # models shared by the variants whose settings are equal (e.g. bm25,hybrid or base,auto)
    items, total, limit = _items(args, lambda: _verifier(built, settings).embedder, out / "evidence")
    started = time.perf_counter()
    scores, curves = {}, {}
    for variant in variants:
        runner = _runner(args, variant, built)
        cache = ResultCache(out / f"results-{args.what}-{variant.label}.jsonl", runner.config)
        records = run_cached(items, cache, runner.compute, f"{args.what} · {variant.label}", runner.batch)
        scores[variant.label] = runner.scores(records)
        if args.what == "verify":
            curves[variant.label] = {**runner.calibration(records), "threshold": runner.threshold}
    meta = {"command": args.what, "data": args.data if not args.qrels else f"{args.data} + {args.qrels}",
            "questions": len(items), "kb": args.kb, "k": args.k if args.what == "retrieval" else None,
            "seconds": round(time.perf_counter() - started, 1),
            "created": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")}
    result = report.build({k: v for k, v in meta.items() if v is not None}, scores, args.seed)
    notes = ["Latency per stage is the mean over the questions that reached the stage (an abstention before "
             "generation has no generate or check time)."] if args.what in ("qa", "answers") else []
    if limit and limit < total:
        notes.append(f"A fixed sample of {len(items)} of {total} questions; `--limit {min(total, limit * 10)}` "
                     f"(or `--limit 0` for all) extends it, reusing the results already in {out}.")
    report.write(out, result, scores, curves or None, notes)
    if args.json:
        print(json.dumps(result, default=float))
    else:
        print(report.without_images((out / "report.md").read_text(encoding="utf-8")))
        print(f"\nreport: {out / 'report.md'}", file=sys.stderr)
    return 0


@dataclass
class Runner:
    config: dict
    compute: object
    scores: object
    batch: int = 1
    calibration: object = None
    threshold: float = 0.0


def _built(built: dict, kind: str, settings: Settings, make):
    """One `kind` of object per distinct settings: the variants told apart only by a retrieval mode or an
    adapter (chosen per call) share the knowledge base, verifier and generator, so models load once."""
    key = (kind, repr(settings))
    if key not in built:
        built[key] = make()
    return built[key]


def _verifier(built: dict, settings: Settings):
    """The verifier for these settings; its embedder also retrieves ContractNLI claims' evidence."""
    from assistant.reliability.verifier import Verifier

    return _built(built, "verifier", settings, lambda: Verifier(settings))


def _runner(args, variant: Variant, built: dict) -> Runner:
    """What one configuration computes per question, and the key its cached results are stored under."""
    config = {"command": args.what, "option": variant.option, "settings": repr(variant.settings),
              "version": RESULTS_VERSION}
    if args.what == "verify":
        from assistant.eval import verify

        verifier = _verifier(built, variant.settings)
        return Runner(config, lambda part: verify.evaluate(verifier, part), verify.scores, verify.BATCH,
                      verify.calibration, verifier.threshold)
    from assistant.ingest.kb import KnowledgeBase

    kb = _built(built, "kb", variant.settings, lambda: KnowledgeBase(args.kb, variant.settings))
    config.update(kb=str(kb.path.resolve()), kb_size=kb.catalog.counts(), k=args.k)
    if args.what == "retrieval":
        from assistant.eval import retrieval

        searcher = retrieval.Searcher(kb, variant.option)
        return Runner(config, lambda part: retrieval.evaluate(searcher, part, args.k),
                      lambda records: retrieval.scores(records, args.k))
    from assistant.eval import answers
    from assistant.pipeline import Assistant

    assistant, warmed = _built(built, "assistant", variant.settings, lambda: (Assistant(kb), []))
    adapter = None if variant.option == "default" else variant.option
    full = args.what == "answers"

    def compute(part):
        if not warmed:  # loading the models is not answer latency; all cached: never loaded
            assistant.warm_up()
            warmed.append(True)
        return answers.evaluate(assistant, part, adapter, full)
    return Runner(config, compute, lambda records: answers.scores(records, full))
