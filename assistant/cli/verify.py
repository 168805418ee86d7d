"""`assistant verify` (batch claim verification; its JSON shape is stable: benchmarks and integrators
script against it) and `assistant verifier calibrate | train`. Kept apart from cli.py, which only
registers the commands."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings

EXIT_OK, EXIT_INPUT, EXIT_USAGE = 0, 1, 2
BATCH = 64


def add_parser(sub) -> None:
    p = sub.add_parser("verify", help="label claims against evidence: supported / contradicted / not_enough_info")
    p.add_argument("--claims", required=True, help='JSONL of {"id", "claim", "evidence"} (evidence: text or list)')
    p.add_argument("--judge", action="store_true", help="also ask the generator (slower; needs a calibration with it)")
    p.add_argument("--json", action="store_true", help='one JSON line per claim: {"id", "label", "score"}')

    p = sub.add_parser("verifier", help="fit the verifier's calibration or fine-tune its cross-encoder")
    v = p.add_subparsers(dest="verifier_command", required=True)
    q = v.add_parser("calibrate", help="fit the signal combination on the dev sets; held-out accuracy reported")
    q.add_argument("--healthver", help="healthver_dev.csv (default: ../shared/data/healthver/healthver_dev.csv)")
    q.add_argument("--contractnli", help="ContractNLI dev.json (default: ../shared/data/contractnli/dev.json)")
    q.add_argument("--out", help="calibration file to write (default: the one the verifier loads)")
    q.add_argument("--judge", action="store_true", help="include the generator-as-judge signal (slow)")
    q.add_argument("--no-cache", action="store_true", help="recompute signals instead of reusing cached ones")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--json", action="store_true")

    q = v.add_parser("train", help="train the verifier's cross-encoder from the bundled MiniLM on the shared data")
    q.add_argument("--data", help="the shared data folder (default: ../shared/data beside the checkout)")
    q.add_argument("--pairs", help="train on a pairs file --write-pairs wrote instead of building them")
    q.add_argument("--write-pairs", help="build the pairs, write them to this .jsonl.gz and stop")
    q.add_argument("--out", help="model folder (default: the shipped one, assistant/reliability/verifier_model)")
    q.add_argument("--base", default="bundled", help="encoder to start from: bundled (all-MiniLM-L6-v2) or a folder")
    q.add_argument("--epochs", type=float, default=1.0)
    q.add_argument("--lr", type=float, default=5e-5)
    q.add_argument("--batch-size", type=int, default=32)
    q.add_argument("--max-length", type=int, default=256, help="tokens of premise + claim")
    q.add_argument("--max-steps", type=int, default=0)
    q.add_argument("--max-pairs", type=int, default=32000, help="train on at most this many pairs, the big sets cut "
                   "first (0: all)")
    q.add_argument("--top-layers", type=int, default=3, help="encoder layers trained, from the top (6: all)")
    q.add_argument("--device", default="auto", help="auto (a GPU when there is one), cpu or cuda")
    q.add_argument("--report-sample", type=int, default=500, help="held-out pairs scored per source at the end")
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--resume", action="store_true", help="continue from the checkpoint beside --out")
    q.add_argument("--bf16", action="store_true", help="bf16 autocast on a CPU as well (always on a GPU)")


def run(args, settings: Settings) -> int:
    if args.command == "verify":
        return _verify(args, settings)
    return {"calibrate": _calibrate, "train": _train}[args.verifier_command](args, settings)


def _parse(line: str) -> tuple[str, str, list[str]]:
    """(id, claim, evidence passages) of one JSONL line, or ValueError saying what was expected."""
    try:
        item = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"expected a JSON object, found invalid JSON ({exc.msg})") from None
    if not isinstance(item, dict):
        raise ValueError(f"expected a JSON object, found {type(item).__name__}")
    claim, evidence = item.get("claim"), item.get("evidence")
    if not isinstance(claim, str) or not claim.strip():
        raise ValueError("expected a non-empty string \"claim\"")
    if isinstance(evidence, str):
        evidence = [evidence]
    if not isinstance(evidence, list) or not evidence or not all(isinstance(e, str) for e in evidence):
        raise ValueError("expected \"evidence\" as a string or a non-empty list of strings")
    return str(item.get("id", "")), claim, evidence


def _verify(args, settings: Settings) -> int:
    from assistant.reliability.verifier import Verifier

    path = Path(args.claims)
    if not path.is_file():
        print(f"error: --claims: expected a JSONL file, found nothing at {path}", file=sys.stderr)
        return EXIT_USAGE
    if args.judge:
        settings = replace(settings, verifier=replace(settings.verifier, judge=True))
    verifier = Verifier(settings)
    verifier.warm_up()  # once, before the first line: later batches only score
    failed = 0
    batch: list[tuple[str, str, list[str]]] = []

    def flush() -> None:
        for (item_id, claim, _), verdict in zip(batch, verifier.score_pairs([b[1] for b in batch], [b[2] for b in batch])):
            if args.json:
                print(json.dumps({"id": item_id, "label": verdict.label, "score": verdict.score}), flush=True)
            else:
                print(f"{item_id}\t{verdict.label}\t{verdict.score:.3f}\t{claim}", flush=True)
        batch.clear()

    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                batch.append(_parse(line))
            except ValueError as exc:
                failed += 1
                print(f"{path}:{n}: {exc}; skipped", file=sys.stderr)
                continue
            if len(batch) >= BATCH:
                flush()
    if batch:
        flush()
    if failed:
        print(f"{failed} line(s) of {path} could not be read (see above); the rest were answered", file=sys.stderr)
    return EXIT_INPUT if failed else EXIT_OK


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _calibrate(args, settings: Settings) -> int:
    from assistant.embedding.embedder import Embedder
    from assistant.reliability.calibrate import (
        calibration_json,
        optional_scorers,
        run_calibration,
    )
    from assistant.reliability.verifier import CALIBRATION, trained_verifier_dir

    wanted = ["ce", "nli"] + (["judge"] if args.judge else [])
    check = replace(settings, verifier=replace(settings.verifier, judge=args.judge))
    optional = optional_scorers(check, wanted)
    cache = None if args.no_cache else trained_verifier_dir(settings) / "features"
    embedder = Embedder(settings.embedding)
    try:
        calibrations, report = run_calibration({"healthver": args.healthver, "contractnli": args.contractnli},
                                               embedder, optional, cache, args.seed, _progress)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.out or CALIBRATION)
    out.write_text(json.dumps(calibration_json(calibrations, report), indent=1) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps({"out": str(out), **report}))
    else:
        for name, scores in report["held_out_balanced_accuracy"].items():
            print(f"{name:>24}: held-out balanced accuracy " + ", ".join(f"{k} {v:.3f}" for k, v in scores.items()))
        print(f"wrote {out}")
    return EXIT_OK


def _train(args, settings: Settings) -> int:
    from assistant.reliability.train import TrainingRequest, train
    from assistant.reliability.verifier_pairs import build_pairs, read_pairs, write_pairs

    try:
        request = replace(TrainingRequest.from_args(args), command=" ".join(["assistant", *sys.argv[1:]]))
        pairs = read_pairs(args.pairs) if args.pairs else build_pairs(args.data, _progress, seed=args.seed)
        if args.write_pairs:
            print(f"{len(pairs)} pairs written to {write_pairs(pairs, args.write_pairs)}")
            return EXIT_OK
        path = train(request, pairs, _progress)
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    print(f"verifier model written to {path}")
    return EXIT_OK
