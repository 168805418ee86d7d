"""Injection screening benchmark: the project's planted set and the shared corpora's real passages,
evaluation side only (documents, filler values and paraphrases the screen never trained on).

    python bench/injection.py [--weights DIR] [--json OUT.json] [--timing 200]

Prints, for the rules alone, the n-gram model alone, the MiniLM head alone, the learned combination and
the shipped screen (rules OR learned): recall on the held-out paraphrases (the acceptance figure) and on
the seen paraphrases with new fillers and carriers, per style, language, obfuscation and position;
false flags per corpus, on ordinary non-English prose (the Debian Reference's translations) and on hard
negatives (count / denominator); then the time per passage of the
shipped screen, run live. The generalisation figures (whole styles / languages left out of training)
come from the training run and are printed from the shipped injection_screen.json.
Target (issue 15): recall >= 0.95 on >= 200 planted passages in >= 10 styles and >= 5 languages, with
<= 0.1 % false flags over >= 10,000 real passages.

Window vectors come from the training cache (`assistant injection train` fills it); anything missing is
encoded here, so a first run on a fresh machine is slow."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.reliability import injection_train as T  # noqa: E402
from assistant.reliability.injection_build import score_all  # noqa: E402
from assistant.reliability.injection_chars import CharModel  # noqa: E402
from assistant.reliability.injection_corpus import available  # noqa: E402
from assistant.reliability.injection_eval import (  # noqa: E402
    evaluate,
    format_generalisation,
    format_table,
    summary,
)
from assistant.reliability.injection_model import (  # noqa: E402
    DEFAULT_HEAD,
    PREFIXES,
    Head,
    InjectionDetector,
    WindowEncoder,
    screen_hits,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--weights", default=str(DEFAULT_HEAD.parent),
                        help="folder of the weight files (English and injection_intl_* for other languages)")
    parser.add_argument("--data", help="shared datasets folder (default: ../shared/data)")
    parser.add_argument("--cache", help="encoded-window cache (default: the one training uses)")
    parser.add_argument("--seed", type=int, default=0, help="must be the training seed for the split to hold")
    parser.add_argument("--timing", type=int, default=200, help="passages timed live (0: skip timing)")
    parser.add_argument("--json", help="also write all figures to this JSON file")
    args = parser.parse_args()
    if not available(args.data):
        sys.exit("bench/injection.py needs the shared corpora (../shared/data: medquad, cuad, pubmedqa, contractnli, "
                 "uslm); none found. Pass --data DIR")
    folder = Path(args.weights)
    screens = tuple((CharModel.load(folder / f"{prefix}chars.npz"), Head.load(folder / f"{prefix}head.json"),
                     json.loads((folder / f"{prefix}screen.json").read_text(encoding="utf-8")))
                    for prefix in PREFIXES)  # English passages, passages in other languages
    params = screens[0][2]
    data = T.build(args.data, args.seed)
    cache = T.WindowCache(Path(args.cache) if args.cache else T.default_cache(), T.ENCODER)
    T.encode_all(data, cache, WindowEncoder(), args.seed, progress=True)
    flags = score_all(data, cache, screens)
    metrics = {name: evaluate(data, {k: v[name] for k, v in flags.items()})
               for name in ("rules", "chars", "head", "learned", "combined")}
    names = {"rules": "rules alone", "chars": "n-gram model alone", "head": "MiniLM head alone",
             "learned": "both models, combined", "combined": "shipped screen: rules OR combined"}
    print("\n".join(f"{names[k]:36s} {summary(m)}" for k, m in metrics.items()))
    for key in ("rules", "learned", "combined"):
        print()
        print(format_table(metrics[key], names[key]))
    general = params.get("generalisation") or {}
    print("\n## Generalisation (from training: styles / languages left out, refitted)\n")
    print(format_generalisation(general) if general else "not run (train without --no-generalisation)")
    timing = _timing(data, args.timing) if args.timing else None
    if timing:
        print(f"\nshipped screen, live: {timing['ms_per_passage']:.1f} ms per passage over {timing['passages']} passages "
              f"(MiniLM encoding included; the KB's embedder is reused in the pipeline)")
    if args.json:
        Path(args.json).write_text(json.dumps({"metrics": metrics, "generalisation": general, "timing": timing},
                                              indent=1), encoding="utf-8")


def _timing(data: T.Data, n: int) -> dict:
    from assistant.core.types import Chunk, Hit

    texts = [p.text for p in data.evaluation[:n]]
    hits = [Hit(Chunk(id=f"t#{i}", doc_id="t", text=t, start=0, end=len(t)), 1.0, 0.5) for i, t in enumerate(texts)]
    detector = InjectionDetector()
    detector.warm_up()
    screen_hits(hits[:4], detector)  # first call pays one-off costs
    started = time.perf_counter()
    for b in range(0, len(hits), 8):  # as the pipeline screens: one retrieval's hits at a time
        screen_hits(hits[b:b + 8], detector)
    return {"passages": len(hits), "ms_per_passage": round((time.perf_counter() - started) * 1000 / max(len(hits), 1), 2)}


if __name__ == "__main__":
    main()
