"""Embedding backends compared in one process: torch (sentence-transformers) against onnx-int8.

For each corpus (the demo corpus's chunks repeated to ~2000 passages; ~2000 CUAD contract chunks when
../shared/data/cuad is present) it prints passages/s for both backends and their ratio, the cosine between
the two backends' vectors of the same passage, and how often 50 queries retrieve the same nearest passages
(top-1 agreement, top-5 overlap). Both backends use the same batch size and torch.get_num_threads() cores;
timings are the best of --repeat interleaved passes, so other load on the machine skews both alike.

    .venv/bin/python bench/embeddings.py [--passages 2000] [--repeat 2] [--fresh-export]
"""

from __future__ import annotations

import argparse
import atexit
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.core.settings import EmbeddingConfig
from assistant.core.types import Document
from assistant.demo import CORPUS, QUESTIONS
from assistant.embedding.embedder import Embedder
from assistant.ingest.chunking import SentenceChunker

ROOT = Path(__file__).resolve().parent.parent

CUAD = ROOT.parent / "shared" / "data" / "cuad" / "full_contract_txt"
EXTRA_QUERIES = [
    "Who may terminate the agreement?", "What law governs this contract?", "limitation of liability cap",
    "Is there a non-compete clause?", "confidentiality obligations survive termination", "insurance requirements",
    "audit rights", "assignment without consent", "side effects of amoxicillin", "flu vaccine",
    "inhaler technique", "blood pressure target", "renewal term", "exclusivity", "payment terms",
    "What happens if the tenant pays rent late?", "How long does the confidentiality obligation last?",
    "Can the employee work for a competitor?", "What are the symptoms of influenza?",
    "Who should not take metformin?", "How is asthma diagnosed?", "What is the maximum daily dose?",
    "Does the licensee get source code?", "Where are disputes resolved?", "What are the notice requirements?",
    "Is there a most favored nation clause?", "How is revenue shared?", "warranty disclaimer",
    "indemnification by supplier", "change of control", "minimum purchase commitment",
    "allergic reaction to penicillin", "lifestyle changes for high blood pressure",
    "security incident notification within 72 hours",
]


def queries(n: int = 50) -> list[str]:
    demo = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line]
    return (demo + EXTRA_QUERIES)[:n]


def chunks_of(files: list[Path], limit: int) -> list[str]:
    chunker, texts = SentenceChunker(), []
    for path in files:
        text = path.read_text(encoding="utf-8", errors="replace")
        texts += [c.text for c in chunker.chunk(Document(id=str(path), text=text))]
        if len(texts) >= limit:
            break
    return texts[:limit]


def corpora(passages: int) -> dict[str, tuple[list[str], list[str]]]:
    """name -> (texts to time, distinct texts to compare): repeats would only add ties to retrieval."""
    demo = chunks_of(sorted(CORPUS.rglob("*.md")), 10**9)
    found = {"demo corpus": ((demo * (passages // len(demo) + 1))[:passages], demo)}
    if CUAD.is_dir():
        cuad = chunks_of(sorted(CUAD.glob("*.txt")), passages)
        found["CUAD contracts"] = (cuad, cuad)
    else:
        print(f"(no {CUAD}: CUAD skipped)")
    return found


def timed(embedder: Embedder, texts: list[str]) -> tuple[float, np.ndarray]:
    started = time.perf_counter()
    vectors = embedder.encode(texts)
    return time.perf_counter() - started, vectors


def agreement(ref: np.ndarray, alt: np.ndarray, q_ref: np.ndarray, q_alt: np.ndarray) -> dict[str, float]:
    cos = (ref * alt).sum(axis=1)
    top_ref = np.argsort(-(q_ref @ ref.T), axis=1)[:, :5]
    top_alt = np.argsort(-(q_alt @ alt.T), axis=1)[:, :5]
    overlap = [len(set(a) & set(b)) / 5 for a, b in zip(top_ref, top_alt)]
    return {"cos_mean": float(cos.mean()), "cos_min": float(cos.min()), "cos_p1": float(np.percentile(cos, 1)),
            "top1_agree": float((top_ref[:, 0] == top_alt[:, 0]).mean()), "top5_overlap": float(np.mean(overlap)),
            "top1_in_top5": float(np.mean([a[0] in b for a, b in zip(top_ref, top_alt)]))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--passages", type=int, default=2000, help="passages per corpus")
    parser.add_argument("--repeat", type=int, default=2, help="interleaved timing passes; the best counts")
    parser.add_argument("--fresh-export", action="store_true",
                        help="export into a temporary cache, to time a first use (the user's cache is untouched)")
    args = parser.parse_args()
    if args.fresh_export:
        fresh = tempfile.mkdtemp(prefix="bench-embeddings-")
        os.environ["ASSISTANT_CACHE_DIR"] = fresh
        atexit.register(shutil.rmtree, fresh, True)

    import torch

    base = EmbeddingConfig()
    backends = {name: Embedder(EmbeddingConfig(backend=name, batch_size=base.batch_size)) for name in
                ("torch", "onnx-int8")}
    results: dict[str, object] = {"threads": torch.get_num_threads(), "batch_size": base.batch_size}
    for name, embedder in backends.items():
        started = time.perf_counter()
        embedder.warm_up()
        results[f"{name}_warm_up_s"] = round(time.perf_counter() - started, 2)
    print(f"threads {results['threads']}, batch size {base.batch_size}; warm-up: torch "
          f"{results['torch_warm_up_s']} s, onnx-int8 {results['onnx-int8_warm_up_s']} s "
          f"({'exported now' if backends['onnx-int8']._model.exported else 'from the cache'})")

    qs = queries()
    for corpus, (texts, distinct) in corpora(args.passages).items():
        best = {name: float("inf") for name in backends}
        for _ in range(args.repeat):
            for name, embedder in backends.items():
                best[name] = min(best[name], timed(embedder, texts)[0])
        vectors = {name: (e.encode(distinct), e.encode(qs)) for name, e in backends.items()}
        rates = {name: len(texts) / best[name] for name in backends}
        (ref, q_ref), (alt, q_alt) = vectors["torch"], vectors["onnx-int8"]
        stats = agreement(ref, alt, q_ref, q_alt)
        mean_tokens = np.mean([len(e.ids) for e in backends["onnx-int8"]._model._tokenizer.encode_batch(texts)])
        print(f"\n{corpus}: {len(texts)} passages ({len(distinct)} distinct, {mean_tokens:.0f} tokens on average), "
              f"{len(qs)} queries")
        print(f"  torch      {rates['torch']:8.1f} passages/s")
        print(f"  onnx-int8  {rates['onnx-int8']:8.1f} passages/s   ({rates['onnx-int8'] / rates['torch']:.2f}x torch)")
        print(f"  cosine onnx-int8 vs torch: mean {stats['cos_mean']:.4f}, min {stats['cos_min']:.4f}, "
              f"1st percentile {stats['cos_p1']:.4f}")
        print(f"  retrieval: top-1 agreement {stats['top1_agree']:.2f}, top-5 overlap {stats['top5_overlap']:.2f}, "
              f"torch's top-1 within int8's top-5 {stats['top1_in_top5']:.2f}")
        results[corpus] = {"passages": len(texts), **{f"{k}_passages_per_s": round(v, 1) for k, v in rates.items()},
                           "speed_ratio": round(rates["onnx-int8"] / rates["torch"], 2),
                           **{k: round(v, 4) for k, v in stats.items()}}
    print(json.dumps(results))


if __name__ == "__main__":
    main()
