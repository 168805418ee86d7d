"""End-to-end answer quality on the held-out halves of the shared dev sets: the full pipeline
(retrieval, generation, checks) under several generator configurations, in one run, on the same
questions, so every figure has its baseline beside it.

Knowledge bases are built as a user would build them (`KnowledgeBase.ingest` with the real connectors;
cached under $BENCH_KB_CACHE, default /tmp/bench-kbs): the 120 CUAD contracts, five MedQuAD collections
and the 500 PubMedQA dev abstracts. Questions come only from the half the grounded adapter never saw
(grounded.halves: by contract, MedQuAD file, PubMed id).

- cuad: governing law and renewal-notice questions about one contract (searched within it, as a user
  who picked the document does); correct and cited = the gold answer's key words are in the answer and
  it cites that contract. Expiration / renewal term / parties are reported beside them.
- medquad: the question's own answer document cited (and, beside it, any document answering the same
  question: MedQuAD repeats questions across collections); key-term recall = share of the gold answer's
  opening content words the answer contains.
- pubmedqa: the generator's yes / no / maybe decision (the first such word of its draft: the checker
  shows the sentence, never the decision, which no verifier judges).
- unanswerable: MedQuAD questions with every document on their topic (MedQuAD's focus) filtered out:
  abstention expected.
- generator citation recall / precision (the generator's own `[n]`, before any repair), the share of
  shown sentences that are the generator's own and verified, p50 latency.

    .venv/bin/python bench/answers.py [--limit 30] [--config NAME=ADAPTER[:MODE ...] ...] [--json F]
    .venv/bin/python bench/answers.py --from-json F   # the table of an earlier run again

Without --config: `baseline=base:plain:anysubject:anyterms:anyclause:nofocus:refusals` (the plain model,
unconstrained decoding, no subject or names check, passages as stored: the pipeline before the grounded
adapter) against `default=default` (the shipped configuration). MODES: plain, anysubject, anyterms,
anyclause, nofocus, refusals, norefusals, torch (runtime), int8, int4 (quantize).
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

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from retrieval_quality import open_kb  # noqa: E402

from assistant.connectors import FileConnector, MedQuADConnector, PubMedQAConnector  # noqa: E402
from assistant.core.settings import Settings  # noqa: E402
from assistant.core.text import CITATION, content_words  # noqa: E402
from assistant.core.types import VERDICT_SUPPORTED, SearchFilter  # noqa: E402
from assistant.embedding.embedder import Embedder  # noqa: E402
from assistant.eval.stats import Metric, compare, summarise  # noqa: E402
from assistant.generation.adapters import grounded_health, grounded_legal  # noqa: E402
from assistant.generation.adapters.data import parse_decision  # noqa: E402
from assistant.generation.adapters.grounded import halves, shared_data  # noqa: E402
from assistant.generation.factory import make_generator  # noqa: E402
from assistant.pipeline import EVENT_TEXT, Assistant  # noqa: E402
from assistant.reliability.values import extract as extract_values  # noqa: E402

MEDQUAD = ("1_CancerGov_QA", "5_NIDDK_QA", "7_SeniorHealth_QA", "8_NHLBI_QA_XML", "9_CDC_QA")
# Worded unlike the adapter's training templates: the bench asks as a new user would.
CUAD_QUESTIONS = {
    "Governing Law": "What law governs this agreement?",
    "Notice Period To Terminate Renewal": "How much notice must be given to prevent this agreement from renewing?",
    "Expiration Date": "When does this agreement end?",
    "Renewal Term": "How long is the renewal term of this agreement?",
    "Parties": "Who are the parties to this agreement?",
}
HEADLINE = ("Governing Law", "Notice Period To Terminate Renewal")
_NUMBER_WORDS = {w: str(i) for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
    "seventeen eighteen nineteen twenty".split())}
_NUMBER_WORDS.update({"thirty": "30", "forty": "40", "forty-five": "45", "fifty": "50", "sixty": "60",
                      "seventy": "70", "eighty": "80", "ninety": "90", "one hundred twenty": "120",
                      "one hundred eighty": "180", "hundred": "100"})


# --- items -----------------------------------------------------------------------------------------
def cuad_items(data: Path, limit: int, rng: random.Random) -> list[dict]:
    rows = grounded_legal.cuad_rows(data)
    _, held = halves([r["Filename"] for r in rows])
    out = []
    for row in rows:
        if row["Filename"] not in held:
            continue
        doc = f"full_contract_txt/{Path(row['Filename']).stem}.txt"
        for category, question in CUAD_QUESTIONS.items():
            gold = grounded_legal.gold_answer(row, category)
            if gold and grounded_legal.clause_texts(row, category):
                out.append({"set": "cuad", "category": category, "question": question, "gold": gold,
                            "doc": doc, "answerable": True})
    by_category: dict[str, list[dict]] = {}
    for item in out:
        by_category.setdefault(item["category"], []).append(item)
    picked = []
    for category, items in by_category.items():
        rng.shuffle(items)
        picked.extend(items[:limit if category in HEADLINE else max(5, limit // 3)])
    return picked


def medquad_items(data: Path, limit: int, rng: random.Random) -> tuple[list[dict], list]:
    pairs = grounded_health.medquad_pairs(data)
    _, held = halves(sorted({p["file"] for p in pairs}))
    mine = [p for p in pairs if p["collection"] in MEDQUAD]
    candidates = [p for p in mine if p["file"] in held and len(content_words(p["answer"])) >= 8]
    rng.shuffle(candidates)
    items = [{"set": "medquad", "question": p["question"], "gold": p["answer"], "doc": p["doc"],
              "same": _same_question(p, mine), "answerable": True} for p in candidates[:limit]]
    absent = []
    for p in candidates[limit:2 * limit]:
        # Every document on the question's topic is hidden, not only its own file: "What is breast cancer?"
        # is answerable from another collection's breast-cancer document.
        topic = _topic(p)
        others = tuple(q["doc"] for q in mine if q["file"] != p["file"] and _topic(q) != topic)
        absent.append({"set": "unanswerable", "question": p["question"], "gold": "", "doc": p["doc"],
                       "answerable": False, "allow": others})
    return items + absent, mine


def _same_question(pair: dict, pairs: list[dict]) -> tuple[str, ...]:
    """The documents answering the same question: MedQuAD repeats a question across collections ("What
    causes Gout?" in SeniorHealth and NIAMS), each answer as good as the one the question came from."""
    key = " ".join(pair["question"].lower().split())
    return tuple(q["doc"] for q in pairs if q["doc"] == pair["doc"] or " ".join(q["question"].lower().split()) == key
                 or (_topic(q) == _topic(pair) and q["qtype"] and q["qtype"] == pair["qtype"]))


def _topic(pair: dict) -> str:
    return " ".join(pair["focus"].lower().split()) or pair["file"]


def pubmedqa_items(data: Path, limit: int, rng: random.Random) -> list[dict]:
    raw = json.loads((data / "pubmedqa" / "pqal_dev.json").read_text(encoding="utf-8"))
    _, held = halves(list(raw))
    ids = sorted(held)
    rng.shuffle(ids)
    return [{"set": "pubmedqa", "question": raw[i]["QUESTION"], "gold": raw[i]["final_decision"].lower(),
             "doc": i, "answerable": True} for i in ids[:limit]]


# --- scoring ---------------------------------------------------------------------------------------
def gold_found(answer: str, gold: str, category: str) -> bool:
    """The short gold answer in the answer: for durations the number (written as digits or words) and
    its unit; otherwise any one of its ';'-separated parts' leading name ('Delaware', 'England')."""
    text, gold = _digits(answer), _digits(gold)
    day = _gold_date(gold)
    if day is not None:  # CUAD writes dates "3/31/03"; contracts "March 31, 2003"
        return any(v.dimension == "date" and v.low == day for v in extract_values(answer))
    if category in ("Notice Period To Terminate Renewal", "Renewal Term", "Expiration Date"):
        numbers = re.findall(r"\d+", gold)
        units = re.findall(r"day|month|year|week", gold.lower())
        if numbers:
            return all(re.search(rf"\b{n}\b", text) for n in numbers[:1]) and all(u in text for u in units[:1])
        return any(w.lower() in text for w in content_words(gold)[:2])
    parts = [p.split(",")[0].strip() for p in gold.split(";") if p.strip()]
    return any(p and p.lower() in text for p in parts)


def _gold_date(gold: str) -> int | None:
    """CUAD's M/D/YY (or M/D/YYYY) gold date as YYYYMMDD, the form reliability.values gives dates in."""
    m = re.fullmatch(r"\s*(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})\s*", gold)
    if not m:
        return None
    month, day, year = int(m.group(1)), int(m.group(2)), int(m.group(3))
    year += 2000 if year < 50 else 1900 if year < 100 else 0
    return year * 10000 + month * 100 + day


def _digits(text: str) -> str:
    """Lower case, with number words as digits ("sixty (60) days" → "60 (60) days")."""
    text = text.lower()
    for words, digits in sorted(_NUMBER_WORDS.items(), key=lambda kv: -len(kv[0])):
        text = re.sub(rf"\b{words}\b", digits, text)
    return text


def key_terms(gold: str) -> list[str]:
    """The gold answer's opening content words (its first two sentences' distinct ones, up to 15)."""
    seen: list[str] = []
    for w in content_words(" ".join(gold.split()[:60])):
        if w not in seen:
            seen.append(w)
    return seen[:15]


def score(item: dict, answer, draft: str) -> dict:
    """`draft`: the generator's text before the checks (its yes/no decision lives there: the checker
    never shows a decision, since no verifier judges one)."""
    text = " ".join(CITATION.sub(" ", answer.text).split())
    cited_docs = {c.chunk.doc_id for c in answer.citations}
    shown = [s for s in answer.sentences if s.verdict in ("supported", "repaired", "unsupported")]
    own = [s for s in shown if s.verdict == VERDICT_SUPPORTED and not s.note]
    record = {"set": item["set"], "category": item.get("category", ""), "question": item["question"],
              "answer": answer.text, "abstained": answer.abstained, "answerable": item["answerable"],
              "latency": answer.timings.get("total", float("nan")),
              "own_share": (len(own) / len(shown)) if shown else float("nan")}
    for key in ("generator_citation_recall", "generator_citation_precision"):
        if not answer.abstained and key in answer.checks:
            record[key] = float(answer.checks[key])
    if item["set"] == "cuad":
        record["correct_cited"] = float(not answer.abstained and item["doc"] in cited_docs
                                        and gold_found(text, item["gold"], item["category"]))
    elif item["set"] == "medquad":
        record["gold_cited"] = float(item["doc"] in cited_docs)
        record["same_answer_cited"] = float(bool(cited_docs & set(item["same"])))
        terms = key_terms(item["gold"])
        have = set(content_words(text))
        record["key_recall"] = 0.0 if answer.abstained else sum(t in have for t in terms) / max(1, len(terms))
    elif item["set"] == "pubmedqa":
        record["decision_correct"] = float(not answer.abstained and parse_decision(draft) == item["gold"])
    return record


# --- running ---------------------------------------------------------------------------------------
def build_kbs(data: Path, settings: Settings, embedder: Embedder):
    # Contracts are ingested as a law firm would: `--domain legal`, so the legal fusion values apply.
    cuad = open_kb("answers-cuad-v2", lambda: (_legal(d) for d in
                                                FileConnector(data / "cuad" / "full_contract_txt").iter_documents()),
                   settings, embedder)
    medquad = open_kb("answers-medquad-v1", lambda: (d for c in MEDQUAD for d in
                                                      MedQuADConnector(data / "medquad" / c).iter_documents()),
                      settings, embedder)
    pubmedqa = open_kb("answers-pubmedqa-v1",
                       lambda: PubMedQAConnector(data / "pubmedqa" / "pqal_dev.json").iter_documents(),
                       settings, embedder)
    return {"cuad": cuad, "medquad": medquad, "unanswerable": medquad, "pubmedqa": pubmedqa}


def _legal(document):
    return document if isinstance(document, Exception) else replace(document, domain="legal")


# A configuration's modes: (settings section, field, value) each sets.
MODES = {
    "plain": ("generator", "constrain_citations", False),  # unconstrained decoding (the baseline's)
    "anysubject": ("reliability", "subject_max_zipf", 0.0),  # no question-subject check
    "anyterms": ("reliability", "claim_terms_max_zipf", 0.0),  # a sentence's names need not be in its evidence
    "anyclause": ("reliability", "clause_topics", False),  # a clause question may be answered from any clause
    "nofocus": ("generator", "focus", False),  # passages in stored order, not led by the closest sentence
    "refusals": ("generator", "refusals", True),
    "norefusals": ("generator", "refusals", False),
    "torch": ("generator", "runtime", "torch"),  # the torch decode loop instead of onnxruntime-genai
    "int8": ("generator", "quantize", "int8"),  # int8 weights (onnx: the builder's; torch: dynamic)
    "int4": ("generator", "quantize", "int4"),  # onnx only
}


BASELINE = "baseline=base:plain:anysubject:anyterms:anyclause:nofocus:refusals"  # the pipeline before the adapter


def parse_configs(specs: list[str], settings: Settings) -> dict[str, tuple]:
    """NAME=ADAPTER[:MODE ...] → (generator config, settings). ADAPTER: `base` (the plain model), `default`
    (the shipped setting: the grounded adapter), a directory or a registered name; MODES above."""
    configs = {}
    for spec in specs or [BASELINE, "default=default"]:
        name, _, rest = spec.partition("=")
        adapter, *modes = rest.split(":")
        unknown = set(modes) - set(MODES)
        if unknown:
            raise SystemExit(f"--config {spec}: expected modes among {sorted(MODES)} after the adapter, "
                             f"found {sorted(unknown)}")
        sections = {"generator": settings.generator if adapter == "default"
                    else replace(settings.generator, adapter=adapter), "reliability": settings.reliability}
        for mode in modes:
            section, key, value = MODES[mode]
            sections[section] = replace(sections[section], **{key: value})
        configs[name] = (sections["generator"], replace(settings, **sections))
    return configs


def run(items: list[dict], kbs: dict, configs: dict, verbose: bool) -> dict[str, list[dict]]:
    from tqdm import tqdm

    results: dict[str, list[dict]] = {}
    for name, (config, settings) in configs.items():
        generator = make_generator(config)
        for kb in kbs.values():  # the configuration's reliability settings (the subject check on or off)
            kb.settings = settings
        assistants = {key: Assistant(kb, generator=generator) for key, kb in kbs.items()}
        records = []
        for item in tqdm(items, desc=name, unit="q"):
            scope = (SearchFilter(doc_ids=item["allow"]) if "allow" in item
                     else SearchFilter(doc_ids=(item["doc"],)) if item["set"] == "cuad" else None)
            draft: list[str] = []
            answer = assistants[item["set"]].ask(item["question"], scope,
                                                 on_event=lambda kind, text: draft.append(text) if kind == EVENT_TEXT
                                                 else None)
            record = score(item, answer, "".join(draft))
            records.append(record)
            if verbose:
                print(f"[{name}] {item['set']}: {item['question']}\n    → {answer.text[:240]}", flush=True)
        results[name] = records
    return results


def metric(records: list[dict], key: str, where=lambda r: True) -> Metric:
    return Metric(np.array([r.get(key, np.nan) if where(r) else np.nan for r in records], float))


ROWS = [
    ("CUAD governing law + renewal notice: correct and cited", "correct_cited",
     lambda r: r["set"] == "cuad" and r["category"] in HEADLINE),
    *[(f"  CUAD {c}", "correct_cited", (lambda c: lambda r: r["category"] == c)(c)) for c in CUAD_QUESTIONS],
    ("MedQuAD gold answer document cited", "gold_cited", lambda r: r["set"] == "medquad"),
    ("  or a document answering the same question", "same_answer_cited", lambda r: r["set"] == "medquad"),
    ("MedQuAD key-term recall", "key_recall", lambda r: r["set"] == "medquad"),
    ("PubMedQA: the generator's decision (not shown)", "decision_correct", lambda r: r["set"] == "pubmedqa"),
    ("unanswerable: abstained", "abstained", lambda r: not r["answerable"]),
    ("answerable: abstained", "abstained", lambda r: r["answerable"]),
    ("generator citation recall", "generator_citation_recall", lambda r: True),
    ("generator citation precision", "generator_citation_precision", lambda r: True),
    ("shown sentences the generator's own, verified", "own_share", lambda r: True),
]


def report(results: dict[str, list[dict]]) -> dict:
    names = list(results)
    first = names[0]
    print(f"\n{'':52}" + "".join(f"{n:>22}" for n in names) + "".join(f"{'Δ ' + n:>26}" for n in names[1:]))
    table = {}
    for label, key, where in ROWS:
        cells, row = [], {}
        for name in names:
            m = metric(results[name], key, where)
            interval = summarise(m)
            value = interval.value if interval else float("nan")
            n = int((~np.isnan(m.values)).sum())
            row[name] = {"value": value, "n": n}
            cells.append(f"{value:>14.3f} (n={n:>3})")
        deltas = []  # each configuration against the first, paired by question
        for name in names[1:]:
            d = compare(metric(results[first], key, where), metric(results[name], key, where))
            deltas.append(f"{d.value:+.3f} [{d.low:+.3f}, {d.high:+.3f}]" if d else "")
            if d:
                row[f"delta {name}"] = d.to_dict()
        print(f"{label:52}" + "".join(f"{c:>22}" for c in cells) + "".join(f"{d:>26}" for d in deltas))
        table[label] = row
    for name in names:
        lat = np.array([r["latency"] for r in results[name]], float)
        table.setdefault("p50 latency (s)", {})[name] = float(np.nanmedian(lat))
    print(f"{'p50 answer latency (s)':52}" + "".join(f"{table['p50 latency (s)'][n]:>22.2f}" for n in names))
    return table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=30, help="questions per set (CUAD: per headline category)")
    parser.add_argument("--config", action="append", default=[],
                        help="NAME=ADAPTER[:MODE ...] (ADAPTER: base, default, a directory or a name; "
                             f"MODE: {', '.join(MODES)})")
    parser.add_argument("--sets", default="cuad,medquad,pubmedqa", help="which sets to ask")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", help="write the per-question records and the table here")
    parser.add_argument("--verbose", action="store_true", help="print each question and answer")
    parser.add_argument("--from-json", help="print the table of an earlier run's --json file, asking nothing")
    args = parser.parse_args()
    if args.from_json:
        report(json.loads(Path(args.from_json).read_text())["records"])
        return

    data = shared_data()
    settings = Settings()
    embedder = Embedder(settings.embedding)
    # One random stream per set: `--sets medquad` asks the same MedQuAD questions as the full run.
    rng = {name: random.Random(f"{args.seed}:{name}") for name in ("cuad", "medquad", "pubmedqa")}
    wanted = set(args.sets.split(","))
    items: list[dict] = []
    if "cuad" in wanted:
        items += cuad_items(data, args.limit, rng["cuad"])
    if "medquad" in wanted:
        items += medquad_items(data, args.limit, rng["medquad"])[0]
    if "pubmedqa" in wanted:
        items += pubmedqa_items(data, args.limit, rng["pubmedqa"])
    kbs = build_kbs(data, settings, embedder)
    configs = parse_configs(args.config, settings)
    started = time.perf_counter()
    results = run(items, kbs, configs, args.verbose)
    print(f"{len(items)} questions × {len(configs)} configurations in {time.perf_counter() - started:.0f} s")
    table = report(results)
    if args.json:
        Path(args.json).write_text(json.dumps({"table": table, "records": results}, indent=1, default=str))


if __name__ == "__main__":
    main()
