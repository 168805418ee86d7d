"""`eval qa` and `eval answers`: the full pipeline on each question, scored against the gold answer or
label (qa), and for faithfulness, citations, abstention and latency per stage (answers).

Faithfulness and citation precision/recall are re-measured here with the pipeline's own Verifier on
the sentences the user is shown: faithfulness = share of them that their cited passages, pooled,
support; citation recall/precision follow ALCE (reliability/citations.py). The generator's citations
before the checks repaired them are reported from `Answer.checks`."""

from __future__ import annotations

import numpy as np

from assistant.core.text import CITATION
from assistant.core.types import SHOWN_VERDICTS, Answer, SearchFilter
from assistant.eval import metrics
from assistant.eval.items import EvalItem
from assistant.eval.stats import Metric
from assistant.generation.adapters.data import DECISIONS, parse_decision
from assistant.pipeline import Assistant
from assistant.reliability.citations import citation_scores

STAGES = ("retrieve", "generate", "check", "total")
CORRECTNESS = ("token_f1", "exact_match", "label_accuracy")
RELIABILITY = ("faithfulness", "citation_recall", "citation_precision", "generator_citation_recall",
               "generator_citation_precision")
NAN = float("nan")


def faithfulness(assistant: Assistant, answer: Answer) -> dict[str, float]:
    """One verifier pass over the shown sentences × the cited passages gives all three: a sentence is
    faithful when its own citations support it (faithfulness, which is ALCE citation recall), and ALCE
    precision asks whether each citation is needed. (The checker scored them already, but against every
    passage it was shown; this re-scores what is shown, as an evaluation should.)"""
    shown = [s for s in answer.sentences if s.verdict in SHOWN_VERDICTS]
    if answer.abstained or not shown:
        return {}
    verifier, threshold = assistant.checker.scorer, assistant.checker.threshold
    texts = {c.n: c.chunk.text for c in answer.citations}
    index = {n: i for i, n in enumerate(texts)}
    matrix = verifier.score_matrix([s.text for s in shown], list(texts.values()), answer.question)
    scores = [[v.score for v in row] for row in matrix]
    cited = [[index[n] for n in s.citations if n in index] for s in shown]
    alce = citation_scores(cited, scores, threshold)
    return {"faithfulness": alce.recall, "citation_recall": alce.recall, "citation_precision": alce.precision}


def evaluate(assistant: Assistant, items: list[EvalItem], adapter: str | None, reliability: bool) -> list[dict]:
    out = []
    for item in items:
        answer = assistant.ask(item.question, SearchFilter(doc_ids=item.scope) if item.scope else None,
                               adapter=adapter)
        text = " ".join(CITATION.sub(" ", answer.text).split())
        record = {"id": item.id, "answer": answer.text, "abstained": answer.abstained,
                  "answerable": item.answerable, "timings": {k: round(v, 4) for k, v in answer.timings.items()}}
        if item.answer:
            record["token_f1"] = 0.0 if answer.abstained else metrics.token_f1(text, item.answer)
            record["exact_match"] = 0.0 if answer.abstained else metrics.exact_match(text, item.answer)
        if (item.label or "").lower() in DECISIONS:
            record["predicted_label"] = None if answer.abstained else parse_decision(answer.text)
            record["label_accuracy"] = float(record["predicted_label"] == item.label.lower())
        if reliability:
            record.update(faithfulness(assistant, answer))
            record.update({k: answer.checks[k] for k in ("generator_citation_recall", "generator_citation_precision")
                           if not answer.abstained and k in answer.checks})
        out.append(record)
    return out


def _abstention(name: str):
    """The set statistic over rows (abstained, answerable); NaN where undefined (no abstention at all)."""
    def statistic(rows: np.ndarray) -> float:
        value = metrics.abstention(rows[:, 0] > 0.5, rows[:, 1] > 0.5)[name]
        return NAN if value is None else value
    return statistic


def scores(records: list[dict], reliability: bool) -> dict[str, Metric]:
    def column(name: str) -> np.ndarray:
        return np.array([r.get(name, NAN) for r in records], float)

    names = CORRECTNESS + (RELIABILITY if reliability else ())
    out = {name: Metric(column(name)) for name in names if not np.isnan(column(name)).all()}
    decisions = np.array([[r["abstained"], r["answerable"]] for r in records], float)
    out["abstained"] = Metric(decisions[:, 0])
    if not decisions[:, 1].all():  # abstention is only judged where some question has no answer
        out["abstention_precision"] = Metric(decisions, _abstention("abstention_precision"))
        out["abstention_recall"] = Metric(decisions, _abstention("abstention_recall"))
    for stage in STAGES:
        values = np.array([r["timings"].get(stage, NAN) for r in records], float)
        if not np.isnan(values).all():
            out[f"latency_{stage}_s"] = Metric(values)
    return out
