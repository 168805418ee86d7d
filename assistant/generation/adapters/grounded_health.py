"""Grounded-answer examples from health sets: MedQuAD (a consumer question → the opening sentences of
its NIH answer, shown among the same document's answers to other questions and answers about other
topics) and PubMedQA (a research question → its yes / no / maybe decision stated first, then the
conclusion, cited to the abstract section it paraphrases). Train half only (grounded.halves)."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

from assistant.core.text import content_words
from assistant.generation.adapters.data import Example
from assistant.generation.adapters.grounded_examples import (
    PASSAGES,
    Passage,
    answer_sentences,
    assemble,
    halves,
    shared_data,
)

ABSENT_SHARE = 0.12
# Answers per MedQuAD collection: GARD and GHR alone hold 60 % of the pairs, and their answers are
# templated; capping keeps the mix from teaching one collection's style.
PER_COLLECTION = 130
# GARD's templated pointer to a symptom table: no answer in its words.
_BOILERPLATE = ("Human Phenotype Ontology", "the table below")


def medquad_pairs(data: Path) -> list[dict]:
    """Every MedQuAD pair as {doc, file, collection, focus, qtype, question, answer} (MedQuADConnector's reading)."""
    from assistant.connectors import MedQuADConnector

    out = []
    for folder in sorted(p for p in (data / "medquad").iterdir() if p.is_dir()):
        for document in MedQuADConnector(folder).iter_documents():
            if isinstance(document, Exception):  # unreadable files are skipped, as ingest would
                continue
            answer = document.text.split("\n\n", 1)[-1]
            out.append({"doc": document.id, "file": document.id.split("#")[0], "collection": folder.name,
                        "focus": document.metadata.get("focus", ""), "qtype": document.metadata.get("qtype", ""),
                        "question": document.title, "answer": answer})
    return out


def medquad_examples(seed: int = 0, data: Path | None = None, split: str = "train") -> list[Example]:
    data = data or shared_data()
    rng = random.Random(seed + 2)
    pairs = medquad_pairs(data)
    train, held = halves(sorted({p["file"] for p in pairs}))
    keep = train if split == "train" else held
    by_file: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        by_file[p["file"]].append(p)
    chosen: list[dict] = []
    by_collection: dict[str, list[dict]] = defaultdict(list)
    for p in pairs:
        if p["file"] in keep and not any(b in p["answer"] for b in _BOILERPLATE):
            by_collection[p["collection"]].append(p)
    for group in by_collection.values():
        rng.shuffle(group)
        chosen.extend(group[:PER_COLLECTION])
    pool = [p for p in pairs if p["file"] in keep]
    out = []
    for pair in chosen:
        question = _consumer(pair["question"], rng)
        siblings = [p for p in by_file[pair["file"]] if p["question"] != pair["question"]]
        strangers = rng.sample(pool, PASSAGES)
        distractors = [_passage(p, rng) for p in rng.sample(siblings, min(2, len(siblings)))]
        distractors += [_passage(p, rng) for p in strangers if p["file"] != pair["file"]]
        if rng.random() < ABSENT_SHARE:
            unrelated = [_passage(p, rng) for p in strangers if p["file"] != pair["file"]]
            example = assemble(question, [], unrelated, [], rng)
        else:
            gold = _passage(pair, rng)
            sentences = answer_sentences(gold.text, limit=2)
            if not sentences:
                continue
            example = assemble(question, [gold], distractors, [sentences], rng)
        if example is not None:
            out.append(example)
    return out


def _passage(pair: dict, rng: random.Random) -> Passage:
    """As a MedQuAD KB shows it: the title is the NIH question (half the time left off, so the
    adapter learns to read the passage, not to match titles)."""
    return Passage(pair["answer"], title=pair["question"] if rng.random() < 0.5 else "")


def _consumer(question: str, rng: random.Random) -> str:
    """The NIH question, or now and then as a consumer types it (lower case, no question mark)."""
    q = " ".join(question.split())
    if rng.random() < 0.2:
        q = q.rstrip("?").lower().strip()
    return q


def pubmedqa_examples(seed: int = 0, data: Path | None = None, split: str = "train") -> list[Example]:
    """The decision first ("Yes:", "No:", "Maybe:"), then the abstract's own sentence closest to the
    authors' conclusion (the long answer, which is not among the passages: the target stays in the
    passages' words), cited to its section; the passages are the abstract's sections."""
    data = data or shared_data()
    rng = random.Random(seed + 3)
    items = json.loads((data / "pubmedqa" / "pqal_dev.json").read_text(encoding="utf-8"))
    train, held = halves(list(items))
    keep = train if split == "train" else held
    out = []
    for pmid in sorted(keep):
        item = items[pmid]
        labels = item.get("LABELS") or [""] * len(item["CONTEXTS"])
        sections = [Passage(text, title=item["QUESTION"], locator=label.title())
                    for label, text in zip(labels, item["CONTEXTS"])][:PASSAGES]
        conclusion = set(content_words(item["LONG_ANSWER"]))
        candidates = [(len(conclusion & set(content_words(s))), i, s) for i, section in enumerate(sections)
                      for s in answer_sentences(section.text, limit=12) if s[:40] in section.render()]
        if not candidates:
            continue
        _, best, sentence = max(candidates, key=lambda c: (c[0], c[1]))
        decision = item["final_decision"].strip().lower().capitalize()
        example = assemble(item["QUESTION"], [sections[best]], sections[:best] + sections[best + 1:],
                           [[f"{decision}: {sentence}"]], rng)
        if example is not None:
            out.append(example)
    return out
