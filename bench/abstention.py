"""Fit the retrieval-evidence abstention threshold (`[retrieval] min_relevance`) on real questions.

Each question is searched three ways: in its own KB (*answerable*); in another domain's KB (*off-topic*:
MedQuAD and PubMedQA questions against 20 CUAD contracts), the case this gate exists for; and in its
own KB with every document on its topic filtered out (*absent in-domain*: MedQuAD drops all answers
sharing the question's focus, PubMedQA the question's own abstract). The score is what the pipeline
compares, the best hit's dense cosine (`Hit.relevance`). Questions are split in halves by topic; the
threshold is fitted on the fit half, answerable against off-topic (best balanced accuracy with false
abstentions at or below --max-false-abstain; among equals the lowest, so a casually worded question is
not refused), and reported on the held-out half for both kinds of absent question.

An in-domain question whose answer is missing scores like an answerable one (its neighbours share the
vocabulary), so no cosine gate separates those without refusing real questions: the verifier does,
after generation, by abstaining when nothing the generator wrote is supported.

    .venv/bin/python bench/abstention.py [--limit 600] [--max-false-abstain 0.05] [--json F] [--write]

--write stores the fitted value and its provenance in assistant/reliability/abstention.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval_quality import cuad, medquad, pubmedqa  # noqa: E402

from assistant.core.settings import Settings  # noqa: E402
from assistant.core.types import SearchFilter  # noqa: E402
from assistant.embedding.embedder import Embedder  # noqa: E402
from assistant.retrieval.retriever import HybridRetriever  # noqa: E402

OUT = ROOT / "assistant" / "reliability" / "abstention.json"


def scores(dev, other, limit: int, seed: int = 0) -> list[tuple[str, float, float, float]]:
    """(group, best relevance answerable, off-topic (in `other`'s KB), absent in-domain) per question."""
    docs = dict(dev.kb.catalog.conn.execute("SELECT id, title FROM documents"))
    by_topic: dict[str, set[str]] = {}
    for doc, title in docs.items():
        by_topic.setdefault(title or doc, set()).add(doc)
    retriever = HybridRetriever(dev.kb, dev.kb.settings.retrieval)
    elsewhere = HybridRetriever(other.kb, other.kb.settings.retrieval)
    queries = random.Random(seed).sample(dev.queries, min(limit, len(dev.queries)))
    out = []
    for q in tqdm(queries, desc=dev.name, unit="q"):
        gone = set(by_topic.get(q.group, set())) if dev.name == "medquad" else {q.qid}
        gone |= {d for d in docs if d in q.relevant}
        allowed = tuple(d for d in docs if d not in gone)
        best = max((h.relevance for h in retriever.search(q.text)), default=-1.0)
        absent = max((h.relevance for h in retriever.search(q.text, filters=SearchFilter(doc_ids=allowed))),
                     default=-1.0)
        off = max((h.relevance for h in elsewhere.search(q.text)), default=-1.0)
        out.append((q.group, best, off, absent))
    return out


def split(rows, seed: int = 0):
    groups = sorted({r[0] for r in rows})
    random.Random(seed).shuffle(groups)
    fit = set(groups[: len(groups) // 2])
    return [r for r in rows if r[0] in fit], [r for r in rows if r[0] not in fit]


def evaluate(rows, threshold: float, column: int = 2) -> dict:
    """column 2: off-topic questions as the absent ones; 3: absent in-domain."""
    answerable = np.array([r[1] for r in rows])
    absent = np.array([r[column] for r in rows])
    false_abstain = float((answerable < threshold).mean())
    caught = float((absent < threshold).mean())
    return {"threshold": round(threshold, 4), "absent_abstained": round(caught, 3),
            "answerable_abstained": round(false_abstain, 3),
            "balanced_accuracy": round((caught + 1 - false_abstain) / 2, 3)}


def fit(rows, max_false_abstain: float) -> float:
    candidates = np.unique(np.round([v for r in rows for v in r[1:3]], 4)) + 1e-4  # "< t" abstains
    best, best_t = -1.0, float(candidates[0])
    for t in candidates:  # ascending: a later value must be strictly better to win
        e = evaluate(rows, float(t))
        if e["answerable_abstained"] <= max_false_abstain and e["balanced_accuracy"] > best:
            best, best_t = e["balanced_accuracy"], float(t)
    return round(best_t, 4)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--limit", type=int, default=600, help="questions per dev set")
    ap.add_argument("--max-false-abstain", type=float, default=0.05)
    ap.add_argument("--json", help="write the report and every question's scores here")
    ap.add_argument("--rows", help="refit from the scores a previous --json run saved (no searching)")
    ap.add_argument("--write", action="store_true", help=f"store the fitted threshold in {OUT.relative_to(ROOT)}")
    args = ap.parse_args()
    settings = Settings.load()
    embedder = Embedder(settings.embedding)
    if args.rows:
        rows = json.loads(Path(args.rows).read_text())["rows"]
    else:
        contracts = cuad(20, settings, embedder)
        sets = [medquad(["7_SeniorHealth_QA", "9_CDC_QA", "8_NHLBI_QA_XML"], settings, embedder),
                pubmedqa(settings, embedder)]
        rows = {dev.name: scores(dev, contracts, args.limit) for dev in sets}
        if args.json:  # the searching is the slow part: keep the scores even if what follows fails
            Path(args.json).write_text(json.dumps({"rows": rows}))
    per_set = {name: split([tuple(r) for r in got]) for name, got in rows.items()}
    fit_rows = [r for fit_half, _ in per_set.values() for r in fit_half]
    threshold = fit(fit_rows, args.max_false_abstain)
    report = {"threshold": threshold, "max_false_abstain": args.max_false_abstain,
              "fitted_on": {name: len(f) for name, (f, _) in per_set.items()},
              "held_out_off_topic": {name: evaluate(h, threshold) for name, (_, h) in per_set.items()},
              "held_out_absent_in_domain": {name: evaluate(h, threshold, 3) for name, (_, h) in per_set.items()},
              "date": dt.date.today().isoformat(), "embedding": embedder.identity}
    print(f"fitted min_relevance = {threshold:.4f} (fit halves: {report['fitted_on']})")
    print(f"{'held-out':<10}{'threshold':>10}{'answerable abstained':>22}{'off-topic abstained':>21}"
          f"{'absent in-domain abstained':>28}")
    for name, (_, held) in per_set.items():
        for label, t in (("fitted", threshold), ("before", 0.22)):
            off, absent = evaluate(held, t), evaluate(held, t, 3)
            print(f"{name:<10}{t:>10.3f}{off['answerable_abstained']:>22.3f}{off['absent_abstained']:>21.3f}"
                  f"{absent['absent_abstained']:>28.3f}  ({label})")
    if args.json:
        Path(args.json).write_text(json.dumps({**report, "rows": rows}, indent=2))
    if args.write:
        OUT.write_text(json.dumps(report, indent=2) + "\n")
        print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
