"""How often the conflicting-sources rule (`assistant/reliability/conflicts.py`) fires on real questions,
where the sources do not disagree by construction: MedQuAD questions against a KB of the answers of a
few collections (every QA pair is its own document, so one disease's answers about symptoms, numbers
and treatment are separate documents: the case where a false conflict would come from), and CUAD
clause questions against a KB of 10 contracts, unscoped (every contract states its own dates, terms
and amounts: the cross-document case). Each question goes the pipeline's own way to the passages the
generator would see (`Assistant.context`, after retrieval, screening and the relevance cut), then
`ConflictFinder.find`:

- *declared*: a disagreement on a value the question asks for; the answer becomes "the sources
  disagree" without generating. This is the false-conflict rate.
- *latent*: a disagreement the question does not ask about; shown only if the generated answer states
  a value on that dimension (an upper bound: no generation runs here).

Recall on planted disagreements: for each question whose top passage holds a sentence close to the
question with a value, a copy of that sentence with the value ×10 (or its yes/no flipped) is put in a
new document beside the real passages, prefixed "Official update:", and `find` must report it.

    .venv/bin/python bench/conflicts.py [--limit 150] [--show 10] [--json F]

KBs are built once and cached as in bench/retrieval_quality.py ($BENCH_KB_CACHE, default /tmp/bench-kbs).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval_quality import cuad, medquad  # noqa: E402

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import split_sentences  # noqa: E402
from assistant.core.types import Hit  # noqa: E402
from assistant.embedding.embedder import Embedder  # noqa: E402
from assistant.pipeline import Assistant  # noqa: E402
from assistant.reliability.values import extract  # noqa: E402

COLLECTIONS = ["9_CDC_QA", "7_SeniorHealth_QA"]
CONTRACTS = 10
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")
_FLIP = ((re.compile(r"\b(must|should|can|may|is|are|do|does|will)\s+not\s+", re.I), r"\1 "),
         (re.compile(r"\b(must|should|can|may|is|are|will)\s+(?!not\b)", re.I), r"\1 not "))


def planted(sentence: str) -> str | None:
    """`sentence` with its first stated value changed beyond any overlap, or None when it has none."""
    values = [v for v in extract(sentence) if not v.condition]
    if not values:
        return None
    if values[0].dimension.startswith("yes/no"):
        for pattern, repl in _FLIP:
            flipped, n = pattern.subn(repl, sentence, count=1)
            if n:
                return flipped
        return None
    at = sentence.find(values[0].text)
    m = _NUMBER.search(sentence, at) if at >= 0 else None
    if m is None:
        return None
    bigger = float(m.group(0).replace(",", "")) * 10
    return sentence[: m.start()] + f"{bigger:,.0f}" + sentence[m.end():] if bigger else None


def run(assistant: Assistant, name: str, questions: list[str], show: int) -> dict:
    finder = assistant.conflicts
    declared, latent, answered, tried, caught = [], [], 0, 0, 0
    started = time.perf_counter()
    for q in questions:
        hits, _ = assistant._screen(assistant.retriever.search(q))
        context = assistant.context(hits)
        if context is None:
            continue
        answered += 1
        conflict = finder.find(q, context)
        if conflict is not None:
            (declared if conflict.asked else latent).append((q, conflict))
        # Recall: plant a changed copy of the top passage's sentence closest to the question.
        top = context[0]
        sentences = [s for s in split_sentences(top.chunk.text) if any(not v.condition for v in extract(s))]
        if not sentences:
            continue
        vecs = assistant.kb.embedder.encode([q] + sentences)
        best = max(range(len(sentences)), key=lambda i: float(vecs[1 + i] @ vecs[0]))
        if float(vecs[1 + best] @ vecs[0]) < finder.min_question_similarity:
            continue
        fake = planted(sentences[best])
        if fake is None:
            continue
        tried += 1
        text = f"Official update: {fake}"
        chunk = replace(top.chunk, id="planted#0", doc_id="planted/update.md", text=text, start=0, end=len(text))
        found = finder.find(q, [top, Hit(chunk, top.score, top.relevance), *context[1:]])
        caught += found is not None and 1 in (found.first.hit, found.second.hit)  # the planted copy is hit 1
    seconds = time.perf_counter() - started
    report = {"set": name, "questions": len(questions), "answered": answered, "declared": len(declared),
              "declared_rate": round(len(declared) / max(answered, 1), 4), "latent": len(latent),
              "latent_rate": round(len(latent) / max(answered, 1), 4), "planted": tried, "planted_found": caught,
              "planted_recall": round(caught / max(tried, 1), 3), "seconds": round(seconds, 1),
              "examples": [{"question": q, "dimension": c.dimension, "asked": c.asked,
                            "first": c.first.sentence, "second": c.second.sentence}
                           for q, c in (declared + latent)[:show]]}
    return report


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=150, help="questions per data set")
    ap.add_argument("--show", type=int, default=10, help="conflicts printed per set, for inspection")
    ap.add_argument("--json", help="write the report here")
    args = ap.parse_args()
    settings = Settings.load()
    embedder = Embedder(settings.embedding)
    sets = [("medquad", medquad(COLLECTIONS, settings, embedder)), ("cuad", cuad(CONTRACTS, settings, embedder))]
    reports = []
    for name, dev in sets:
        assistant = Assistant(dev.kb)  # cheap: the generator is never loaded here
        texts = list(dict.fromkeys(q.text for q in dev.queries))
        questions = random.Random(0).sample(texts, min(args.limit, len(texts)))
        reports.append(run(assistant, name, questions, args.show))
    print(f"{'set':<9}{'answered':>9}{'declared':>10}{'rate':>8}{'latent':>8}{'rate':>8}{'planted':>9}"
          f"{'recall':>8}{'s':>7}")
    for r in reports:
        print(f"{r['set']:<9}{r['answered']:>9}{r['declared']:>10}{r['declared_rate']:>8.3f}{r['latent']:>8}"
              f"{r['latent_rate']:>8.3f}{r['planted']:>9}{r['planted_recall']:>8.3f}{r['seconds']:>7}")
    for r in reports:
        for e in r["examples"]:
            print(f"\n[{r['set']}] {'DECLARED' if e['asked'] else 'latent'} {e['dimension']}: {e['question']}\n"
                  f"  1: {e['first'][:220]}\n  2: {e['second'][:220]}")
    if args.json:
        Path(args.json).write_text(json.dumps(reports, indent=2))


if __name__ == "__main__":
    main()
