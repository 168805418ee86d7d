"""PubMedQA adapter benchmark: deterministic train / held-out split of pqal_dev (500 items), a LoRA
adapter trained on (part of) the train side, then base vs adapter on the held-out side.

    python bench/adapters.py --out /tmp/adapters-bench [--train-limit 120] [--eval-limit 40]

CPU-sized by default (short sections, two-sentence answers, LoRA on the top layers); results are
written after each stage to OUT/results.json, so a run cut short still reports what it measured."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import GeneratorConfig  # noqa: E402
from assistant.generation.adapters.data import (  # noqa: E402
    load_pubmedqa,
    pubmedqa_example,
    split_ids,
    write_examples,
)
from assistant.generation.adapters.evaluate import evaluate  # noqa: E402
from assistant.generation.adapters.serving import AdapterGenerator  # noqa: E402
from assistant.generation.adapters.train import TrainConfig, train  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "pubmedqa" / "pqal_dev.json"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=str(DEFAULT_DATA))
    p.add_argument("--out", required=True, help="working directory: data, adapter, results.json")
    p.add_argument("--held-out", type=float, default=0.2)
    p.add_argument("--train-limit", type=int, default=120, help="train examples used (CPU budget)")
    p.add_argument("--eval-limit", type=int, default=40, help="held-out items evaluated (0 = all)")
    p.add_argument("--context-chars", type=int, default=200, help="each abstract section truncated to this")
    p.add_argument("--answer-sentences", type=int, default=2)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=5e-4)
    p.add_argument("--rank", type=int, default=16)
    p.add_argument("--top-layers", type=int, default=15)
    p.add_argument("--grad-accum", type=int, default=4)
    p.add_argument("--max-new-tokens", type=int, default=80)
    p.add_argument("--max-steps", type=int, default=0, help="stop training after N optimizer steps (0 = epochs)")
    p.add_argument("--skip-train", action="store_true", help="reuse OUT/adapter")
    p.add_argument("--train-offset", type=int, default=0, help="skip the first N train examples")
    p.add_argument("--init-from", default="", help="continue from this adapter directory (same rank/layers)")
    p.add_argument("--skip-base", action="store_true", help="evaluate the adapter only (base measured elsewhere, "
                   "e.g. `assistant adapters eval --split held-out` with the same --context-chars/--limit)")
    p.add_argument("--resume", action="store_true")
    args = p.parse_args()

    data_path = Path(args.data)
    if not data_path.is_file():
        print(f"bench/adapters: needs {data_path} (public datasets beside the checkout); absent", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    items = load_pubmedqa(data_path)
    train_ids, held_ids = split_ids(items, args.held_out, seed=0)
    convert = lambda ids: [pubmedqa_example(items[i], args.context_chars, args.answer_sentences) for i in ids]  # noqa: E731
    train_ex = convert(train_ids)[args.train_offset:][: args.train_limit or None]
    held_ex = convert(held_ids)[: args.eval_limit or None]
    write_examples(train_ex, out / "train.jsonl")
    write_examples(held_ex, out / "held_out.jsonl")
    results = {"split": {"train": len(train_ids), "held_out": len(held_ids), "seed": 0},
               "train_used": len(train_ex), "eval_n": len(held_ex), "args": vars(args)}
    save = lambda: (out / "results.json").write_text(json.dumps(results, indent=2))  # noqa: E731
    save()

    adapter_dir = out / "adapter"
    if not args.skip_train:
        config = TrainConfig(rank=args.rank, alpha=2 * args.rank, epochs=args.epochs, lr=args.lr,
                             grad_accum=args.grad_accum, top_layers=args.top_layers, held_out=0.0,
                             max_source_chars=max(100, args.context_chars + 20), domain="healthcare",
                             name="pubmedqa", save_every=5, max_steps=args.max_steps, init_from=args.init_from,
                             extra={"source": "PubMedQA pqal_dev train split", "context_chars": args.context_chars})
        started = time.perf_counter()
        results["train"] = train(train_ex, adapter_dir, config, resume=args.resume)
        results["train"]["wall_seconds"] = round(time.perf_counter() - started, 1)
        save()

    gen = AdapterGenerator({"pubmedqa": adapter_dir}, GeneratorConfig(
        max_new_tokens=args.max_new_tokens, max_source_chars=max(100, args.context_chars + 20)),
        domains={"pubmedqa": "healthcare"})
    for label, adapter in (("adapter", "pubmedqa"), ("base", None))[: 1 if args.skip_base else 2]:
        started = time.perf_counter()
        tick = lambda i, n: print(f"[{label}] {i}/{n} {time.perf_counter() - started:.0f}s", flush=True)  # noqa: E731
        scores = evaluate(gen, held_ex, adapter=adapter, progress=tick, keep_answers=True)
        (out / f"answers_{label}.json").write_text(json.dumps(scores.pop("answers"), indent=2))
        scores["seconds"] = round(time.perf_counter() - started, 1)
        results[label] = scores
        save()
        print(json.dumps({label: scores}), flush=True)
    results["base_loads"] = gen.base_loads
    save()
    print(json.dumps({k: results.get(k) for k in ("adapter", "base")}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
