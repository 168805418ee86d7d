"""`assistant injection train | screen`: fit the learned injection screen (n-gram model + MiniLM head,
combined) on the generated planted set and the shared corpora, or screen text with the shipped screen
(rules OR learned). Kept apart from cli/main.py, which only registers the commands."""

from __future__ import annotations

import json
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2


def add_parser(sub) -> None:
    p = sub.add_parser("injection", help="train or try the learned injection detector")
    v = p.add_subparsers(dest="injection_command", required=True)
    q = v.add_parser("train", help="fit the detectors (planted set + shared corpora); writes the weights, the "
                                   "screen's parameters and a data card")
    q.add_argument("--out", help="folder to write into (default: the package's, which the pipeline loads)")
    q.add_argument("--data", help="shared datasets folder (default: ../shared/data beside the checkout)")
    q.add_argument("--cache", help="folder for encoded windows; a rerun or an interrupted run resumes from it "
                                   "(default: <cache dir>/injection/windows)")
    q.add_argument("--max-false-flag-rate", type=float, default=0.0005,
                   help="threshold: the lowest that keeps calibration false flags at or under this rate")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--no-generalisation", action="store_true",
                   help="skip the refits that leave whole styles / languages out (the card then omits them)")
    q.add_argument("--json", action="store_true", help="print the metrics as JSON")

    q = v.add_parser("screen", help="screen text (arguments, or one passage per line of --file)")
    q.add_argument("text", nargs="*")
    q.add_argument("--file", help="text file, one passage per line")
    q.add_argument("--weights", help="folder with the three weight files (default: the shipped ones)")


def run(args, settings: Settings) -> int:
    return {"train": _train, "screen": _screen}[args.injection_command](args, settings)


def _train(args, settings: Settings) -> int:
    from assistant.reliability.injection_build import train
    from assistant.reliability.injection_eval import (
        format_generalisation,
        format_table,
        summary,
    )
    from assistant.reliability.injection_model import DEFAULT_HEAD

    if not 0 <= args.max_false_flag_rate < 1:
        raise AssistantError(f"--max-false-flag-rate: expected a rate in [0, 1), found {args.max_false_flag_rate}")
    out = Path(args.out) if args.out else DEFAULT_HEAD.parent
    result = train(out, args.data, args.seed, Path(args.cache) if args.cache else None, args.max_false_flag_rate,
                   progress=True, generalisation=not args.no_generalisation)
    if args.json:
        print(json.dumps({"metrics": result["metrics"], "generalisation": result["generalisation"]}))
    else:
        print("\n".join(f"{name}: {summary(m)}" for name, m in result["metrics"].items()))
        print(format_table(result["metrics"]["combined"], f"shipped screen, written to {out}"))
        print(format_generalisation(result["generalisation"]))
    return EXIT_OK


def _screen(args, settings: Settings) -> int:
    from assistant.reliability.injection import screen
    from assistant.reliability.injection_model import InjectionDetector

    texts = list(args.text)
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise AssistantError(f"--file: expected a text file, found nothing at {path}")
        texts += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not texts:
        raise AssistantError("give TEXT arguments or --file FILE (one passage per line)")
    detector = InjectionDetector(folder=args.weights)
    flagged = 0
    for text, learned, score in zip(texts, detector.reasons(texts), detector.scores(texts)):
        reasons = screen(text) + learned
        flagged += bool(reasons)
        print(json.dumps({"flagged": bool(reasons), "margin": round(score, 4), "reasons": reasons,
                          "text": text[:200]}, ensure_ascii=False))
    return EXIT_INPUT if flagged else EXIT_OK
