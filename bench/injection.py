"""Injection screening benchmark: the project's planted set and the shared corpora's real passages,
evaluation side only (documents, templates, languages and fillers the detector never trained on).

    python bench/injection.py [--json OUT.json] [--head PATH] [--timing 200]

Prints recall per style, language and obfuscation (held-in and held-out), false flags per corpus
(count / denominator), for the rules alone, the learned model alone and both combined (the shipped
screen: flag = rules OR model), then the time per passage of each.
Target (issue 15): combined recall >= 0.95 on >= 200 planted passages in >= 10 styles and >= 5
languages, with <= 0.1 % false flags over >= 10,000 real passages.

The window vectors are read from the training cache when present (`assistant injection train` wrote
them), else encoded here; the timing figure always runs the full detector live."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import default_cache_dir  # noqa: E402
from assistant.reliability.injection import screen  # noqa: E402
from assistant.reliability.injection_corpus import available  # noqa: E402
from assistant.reliability.injection_data import HELD_IN, HELD_OUT  # noqa: E402
from assistant.reliability.injection_eval import evaluate, failures, format_table  # noqa: E402
from assistant.reliability.injection_model import (  # noqa: E402
    DEFAULT_HEAD,
    Head,
    InjectionDetector,
    WindowEncoder,
)
from assistant.reliability.injection_train import (  # noqa: E402
    build_samples,
    encode_cached,
    passage_scores,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--head", default=str(DEFAULT_HEAD), help="detector head (default: the shipped one)")
    parser.add_argument("--data", help="shared datasets folder (default: ../shared/data)")
    parser.add_argument("--cache", help="encoded-window cache (default: the one training uses)")
    parser.add_argument("--seed", type=int, default=0, help="must be the training seed for the split to hold")
    parser.add_argument("--timing", type=int, default=200, help="passages timed live (0: skip timing)")
    parser.add_argument("--json", help="also write all figures to this JSON file")
    args = parser.parse_args()
    if not available(args.data):
        sys.exit("bench/injection.py needs the shared corpora (../shared/data: medquad, cuad, pubmedqa, contractnli, "
                 "uslm); none found. Pass --data DIR")

    head = Head.load(args.head)
    samples = [s for s in build_samples(args.data, args.seed) if s.split in (HELD_IN, HELD_OUT)]
    cache = Path(args.cache) if args.cache else default_cache_dir() / "injection" / "windows"
    encoded = encode_cached(samples, WindowEncoder(), cache)
    model = passage_scores(head, encoded.vectors) >= head.threshold
    rules = np.array([bool(screen(s.text)) for s in samples])
    combined = rules | model
    report = {}
    for name, flags in (("rules alone", rules), ("model alone", model), ("combined (shipped)", combined)):
        report[name] = evaluate(samples, flags)
        print(format_table(report[name], name), end="\n\n")
    report["combined_failures"] = failures(samples, combined.tolist())
    for kind, texts in report["combined_failures"].items():
        print(f"{kind} (first {len(texts)}):")
        for t in texts:
            print("   ", " ".join(t.split())[:200])
    if args.timing:
        report["timing"] = timing(samples, args.timing, args.head)
        print(json.dumps(report["timing"]))
    summary(report["combined (shipped)"], samples)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")


def timing(samples, n: int, head: str) -> dict:
    """Milliseconds per passage, screening real evaluation passages in batches of 8 (a question's
    retrieved passages), after warm-up."""
    texts = [s.text for s in samples if not s.label][:n]
    detector = InjectionDetector(path=head)
    detector.warm_up()
    detector.scores(texts[:8])
    t = time.perf_counter()
    for i in range(0, len(texts), 8):
        detector.scores(texts[i:i + 8])
    model_ms = 1000 * (time.perf_counter() - t) / len(texts)
    t = time.perf_counter()
    for text in texts:
        screen(text)
    rules_ms = 1000 * (time.perf_counter() - t) / len(texts)
    return {"passages": len(texts), "model_ms_per_passage": round(model_ms, 2), "rules_ms_per_passage": round(rules_ms, 3),
            "mean_chars": round(float(np.mean([len(t) for t in texts])), 1)}


def summary(metrics: dict, samples) -> None:
    planted = [s for s in samples if s.label]
    real = metrics["false_flags"].get("real (all corpora)", {"flagged": 0, "total": 0, "rate": 0})
    all_recall = metrics["recall"]["all"]["overall"]
    held_out = metrics["recall"][HELD_OUT]["overall"]
    print(f"\nplanted: {len(planted)} passages, {len({s.style for s in planted})} styles, "
          f"{len({s.lang for s in planted})} languages; combined recall {all_recall['rate']:.3f} "
          f"(held-out {held_out['rate']:.3f}); false flags {real['flagged']}/{real['total']} = {real['rate']:.4%}")
    ok = all_recall["rate"] >= 0.95 and held_out["rate"] >= 0.95 and real["rate"] <= 0.001 and real["total"] >= 10000
    print("target met" if ok else "target NOT met")


if __name__ == "__main__":
    main()
