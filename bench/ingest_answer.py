"""Ingest throughput and answer latency on the bundled demo corpus.

Each figure is printed with a ratio against a baseline measured in the same process, so the numbers
compare across machines: ingest against embedding the same chunks alone, answering against
retrieval alone, the cached generator load against converting the GGUF.

    .venv/bin/python bench/ingest_answer.py [--repeat 3] [--with-conversion]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.connectors import FileConnector
from assistant.core.settings import Settings
from assistant.demo import CORPUS, DOMAINS, QUESTIONS
from assistant.embedding.embedder import Embedder
from assistant.ingest.kb import KnowledgeBase, embedding_text
from assistant.pipeline import Assistant


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=3, help="passes over the demo questions")
    parser.add_argument("--with-conversion", action="store_true", help="also time a GGUF conversion (~20-40 s)")
    args = parser.parse_args()
    settings = Settings()
    embedder = Embedder(settings.embedding)
    embedder.warm_up()
    results: dict[str, float] = {}

    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(Path(tmp) / "kb", settings, create=True, embedder=embedder)
        started = time.perf_counter()
        for folder, domain in DOMAINS.items():
            kb.ingest(FileConnector(CORPUS / folder).iter_documents(), domain=domain)
        ingest_s = time.perf_counter() - started
        chunks = kb.stats()["chunks"]
        texts = [embedding_text(c) for c in kb.catalog.chunks(kb.catalog.chunk_keys()).values()]
        started = time.perf_counter()
        embedder.encode(texts)
        embed_s = time.perf_counter() - started
        results.update(chunks=chunks, ingest_chunks_per_s=chunks / ingest_s, embed_only_chunks_per_s=chunks / embed_s)

        questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
        assistant = Assistant(kb)
        assistant.warm_up()
        search_ms, answer_s, abstain_s = [], [], []
        for _ in range(args.repeat):
            for q in questions:
                t = time.perf_counter()
                assistant.search(q)
                search_ms.append((time.perf_counter() - t) * 1000)
                t = time.perf_counter()
                answer = assistant.ask(q)
                (abstain_s if answer.abstained else answer_s).append(time.perf_counter() - t)
        results.update(search_ms_p50=statistics.median(search_ms),
                       answer_s_p50=statistics.median(answer_s), answer_s_max=max(answer_s),
                       abstain_s_p50=statistics.median(abstain_s) if abstain_s else float("nan"))

    code = ("import time; t=time.perf_counter(); from assistant.generation.generator import TransformersGenerator as G;"
            "g=G(); g.warm_up(); print(g.load_seconds)")
    results["generator_cold_load_s"] = float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                                            text=True, check=True).stdout.split()[-1])
    if args.with_conversion:
        from assistant.core.models import cached_bundled_model

        with tempfile.TemporaryDirectory() as tmp:
            t = time.perf_counter()
            cached_bundled_model(Path(tmp))
            results["gguf_conversion_s"] = time.perf_counter() - t

    print(f"demo corpus: {results['chunks']} chunks")
    print(f"ingest            {results['ingest_chunks_per_s']:8.1f} chunks/s   "
          f"({results['ingest_chunks_per_s'] / results['embed_only_chunks_per_s']:.2f}× embedding alone, "
          f"{results['embed_only_chunks_per_s']:.1f} chunks/s)")
    print(f"search p50        {results['search_ms_p50']:8.1f} ms")
    print(f"answer p50        {results['answer_s_p50']:8.2f} s        "
          f"({results['answer_s_p50'] * 1000 / results['search_ms_p50']:.0f}× retrieval alone; max "
          f"{results['answer_s_max']:.2f} s)")
    print(f"abstention p50    {results['abstain_s_p50']:8.2f} s")
    line = f"generator load    {results['generator_cold_load_s']:8.2f} s        (from the converted cache"
    if "gguf_conversion_s" in results:
        line += f"; {results['gguf_conversion_s'] / results['generator_cold_load_s']:.0f}× faster than converting " \
                f"the GGUF, {results['gguf_conversion_s']:.1f} s"
    print(line + ")")
    print(json.dumps({k: round(v, 3) for k, v in results.items()}))


if __name__ == "__main__":
    main()
