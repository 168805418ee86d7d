"""Grounded-answer examples from contracts: CUAD's master clauses (the labelled clause of a category,
found in its contract and shown among other passages of the same contract) and ContractNLI's
hypotheses with their evidence spans (yes / no, or not found when the NDA does not mention it).
Both are read where they lie (`../shared/data`), train half only (grounded.halves, by contract)."""

from __future__ import annotations

import ast
import csv
import json
import random
from pathlib import Path

from assistant.generation.adapters.data import Example
from assistant.generation.adapters.grounded_examples import (
    PASSAGE_CHARS,
    PASSAGES,
    Passage,
    answer_sentences,
    assemble,
    halves,
    shared_data,
    windows,
)

# CUAD category (master_clauses.csv column) → questions a lawyer would ask; `{doc}` is the contract's kind
# ("the Distributor Agreement"). The same category names are the clause-heading synonyms retrieval uses.
QUESTIONS = {
    "Governing Law": ["Which law governs {doc}?", "What is the governing law of {doc}?",
                      "Which state's laws apply to {doc}?", "under what jurisdiction's law is {doc} construed"],
    "Notice Period To Terminate Renewal": [
        "How much notice is needed to stop {doc} from renewing?",
        "What is the notice period to terminate renewal of {doc}?",
        "How many days before expiry must a party give notice of non-renewal?"],
    "Renewal Term": ["Does {doc} renew automatically, and for how long?", "What is the renewal term of {doc}?",
                     "how long is each renewal period"],
    "Expiration Date": ["When does {doc} expire?", "What is the term of {doc}?", "How long does {doc} last?"],
    "Effective Date": ["When does {doc} take effect?", "What is the effective date of {doc}?"],
    "Agreement Date": ["When was {doc} signed?", "What is the date of {doc}?"],
    "Parties": ["Who are the parties to {doc}?", "Which companies signed {doc}?"],
    "Anti-Assignment": ["Can a party assign {doc}?", "Is consent needed to assign {doc}?"],
    "Termination For Convenience": ["Can a party terminate {doc} without cause?",
                                    "Can {doc} be terminated for convenience?"],
    "Non-Compete": ["Does {doc} contain a non-compete?", "Is a party restricted from competing?"],
    "Exclusivity": ["Is {doc} exclusive?", "Does {doc} grant exclusivity?"],
    "Cap On Liability": ["Is liability capped under {doc}?", "What is the limit of liability in {doc}?"],
    "Insurance": ["What insurance must a party carry under {doc}?"],
    "Audit Rights": ["Does a party have audit rights under {doc}?", "Can the books be audited?"],
    "Warranty Duration": ["How long is the warranty under {doc}?"],
    "Minimum Commitment": ["Is there a minimum purchase commitment in {doc}?"],
    "License Grant": ["What license does {doc} grant?"],
    "Change Of Control": ["What happens on a change of control under {doc}?"],
    "No-Solicit Of Employees": ["May a party hire the other party's employees?"],
    "Liquidated Damages": ["Does {doc} provide for liquidated damages?"],
    "Revenue/Profit Sharing": ["How is revenue shared under {doc}?"],
    "Ip Ownership Assignment": ["Who owns the intellectual property created under {doc}?"],
    "Third Party Beneficiary": ["Are there third-party beneficiaries of {doc}?"],
    "Post-Termination Services": ["What obligations continue after {doc} ends?"],
}
# The short gold answer column beside each category ("-Answer"; CUAD spells one with a space).
ANSWER_COLUMN = {"Notice Period To Terminate Renewal": "Notice Period To Terminate Renewal- Answer"}
# Answers that need two clauses: one question, two cited passages.
PAIRS = [("Renewal Term", "Notice Period To Terminate Renewal",
          "What is the renewal term of {doc}, and how much notice stops it?"),
         ("Effective Date", "Expiration Date", "When does {doc} start and when does it end?")]
ABSENT_SHARE = 0.12  # examples whose passages lack the clause: the answer is the not-found sentence


def contract_kind(filename: str) -> str:
    """'…-EX-10.17-ENDORSEMENT AGREEMENT.txt' → 'the Endorsement Agreement' (CUAD names files so)."""
    tail = Path(filename).stem.rsplit("-", 1)[-1].rsplit("_", 1)[-1].split("(")[0].strip()
    return f"the {tail.title()}" if tail and not tail.isdigit() else "the agreement"


def cuad_rows(data: Path) -> list[dict[str, str]]:
    csv.field_size_limit(10**9)
    path = data / "cuad" / "master_clauses.csv"
    with path.open(encoding="utf-8", newline="") as f:
        return sorted(csv.DictReader(f), key=lambda r: r["Filename"])


def clause_texts(row: dict[str, str], category: str) -> list[str]:
    raw = (row.get(category) or "").strip()
    if not raw or raw == "[]":
        return []
    return [" ".join(str(c).split()) for c in ast.literal_eval(raw) if str(c).strip()]


def gold_answer(row: dict[str, str], category: str) -> str:
    return (row.get(ANSWER_COLUMN.get(category, f"{category}-Answer")) or "").strip()


def contract_text(data: Path, filename: str) -> str | None:
    path = data / "cuad" / "full_contract_txt" / f"{Path(filename).stem}.txt"
    if not path.is_file():
        return None
    return " ".join(path.read_text(encoding="utf-8", errors="replace").split())


def clause_passage(text: str, clause: str, title: str, rng: random.Random) -> Passage | None:
    """The passage retrieval would show for a clause: the contract from a little before the clause."""
    at = text.find(clause[:120])
    if at < 0:
        return None
    lead = rng.randrange(0, 160)
    start = max(0, at - lead)
    space = text.rfind(" ", 0, start + 1)
    start = space + 1 if space > 0 and at - space < 300 else at
    return Passage(text[start:start + PASSAGE_CHARS], title=title)


def cuad_examples(seed: int = 0, data: Path | None = None, split: str = "train", passes: int = 2) -> list[Example]:
    """`passes` rounds over the contracts, each with other question wordings and distractors."""
    data = data or shared_data()
    out: list[Example] = []
    for round_ in range(passes):
        out.extend(_cuad_round(seed * 100 + round_, data, split))
    return out


def _cuad_round(seed: int, data: Path, split: str) -> list[Example]:
    rng = random.Random(seed)
    rows = cuad_rows(data)
    train, held = halves([r["Filename"] for r in rows])
    keep = train if split == "train" else held
    out: list[Example] = []
    for row in rows:
        if row["Filename"] not in keep:
            continue
        text = contract_text(data, row["Filename"])
        if not text:
            continue
        title = Path(row["Filename"]).stem
        doc = contract_kind(row["Filename"])
        labelled = {c: clause_texts(row, c) for c in QUESTIONS}
        every_clause = [t for texts in labelled.values() for t in texts]
        spare = windows(text, avoid=every_clause)
        for category, questions in QUESTIONS.items():
            clauses = [c for c in labelled[category] if len(c) >= 20]
            if not clauses:
                continue
            question = rng.choice(questions).format(doc=doc)
            question = question[0].upper() + question[1:] + ("" if question.endswith("?") else "?")
            others = [Passage(t, title=title) for c, ts in labelled.items() if c != category for t in ts
                      if len(t) >= 60]
            distractors = rng.sample(others, min(1, len(others))) + rng.sample(spare, min(PASSAGES, len(spare)))
            distractors = [Passage(p.text, title=title) for p in distractors]
            if rng.random() < ABSENT_SHARE:
                example = assemble(question, [], distractors, [], rng)
            else:
                passage = clause_passage(text, clauses[0], title, rng)
                if passage is None:
                    continue
                fact = gold_answer(row, category) if category in ANSWER_COLUMN or category == "Governing Law" else ""
                sentences = clause_sentence(passage.text, clauses[0], _fact_word(fact))
                if not sentences:
                    continue
                example = assemble(question, [passage], distractors, [sentences], rng)
            if example is not None:
                out.append(example)
        out.extend(_pairs(row, text, title, doc, spare, rng))
    return out


def clause_sentence(passage: str, clause: str, fact: str = "") -> list[str]:
    """The target: the passage's sentence holding the clause (the one with the short answer's word
    first). A sentence too long to be an answer (a preamble run into one 'sentence') gives way to the
    labelled clause text itself when that reads as a statement; otherwise no target."""
    sentences = answer_sentences(passage, fact or clause[:40], limit=1)
    if sentences and len(sentences[0]) <= 300 and "___" not in sentences[0]:
        return sentences
    words = clause.split()
    if 5 <= len(words) and len(clause) <= 300 and "___" not in clause:
        return [clause]
    return []


def _fact_word(fact: str) -> str:
    """A word of the short answer the source sentence will contain ('60 days' → '60';
    'Delaware' → 'Delaware'): the sentence holding it goes first in the target."""
    for word in fact.replace(";", " ").replace(",", " ").split():
        if word[:1].isdigit() or (word[:1].isupper() and len(word) > 3):
            return word
    return ""


def _pairs(row, text, title, doc, spare, rng) -> list[Example]:
    out = []
    for first, second, question in PAIRS:
        a, b = clause_texts(row, first), clause_texts(row, second)
        if not a or not b or a[0][:60] == b[0][:60]:
            continue
        pa, pb = clause_passage(text, a[0], title, rng), clause_passage(text, b[0], title, rng)
        if pa is None or pb is None or pa.text[:200] == pb.text[:200]:
            continue
        ta = clause_sentence(pa.text, a[0])
        tb = clause_sentence(pb.text, b[0])
        if ta and tb and ta != tb:
            distractors = [Passage(p.text, title=title) for p in rng.sample(spare, min(2, len(spare)))]
            example = assemble(question.format(doc=doc), [pa, pb], distractors, [ta, tb], rng)
            if example is not None:
                out.append(example)
    return out


def contractnli_examples(seed: int = 0, data: Path | None = None, limit_per_doc: int = 5) -> list[Example]:
    """Per NDA (train half) a few hypotheses: entailed → the evidence sentence; contradicted → the
    evidence sentence (which says otherwise); not mentioned → the not-found sentence."""
    data = data or shared_data()
    rng = random.Random(seed + 1)
    raw = json.loads((data / "contractnli" / "dev.json").read_text(encoding="utf-8"))
    hypotheses = {k: v["hypothesis"] for k, v in raw["labels"].items()}
    train, _ = halves([str(d["id"]) for d in raw["documents"]])
    out = []
    for doc in raw["documents"]:
        if str(doc["id"]) not in train:
            continue
        text = doc["text"]
        notes = sorted(doc["annotation_sets"][0]["annotations"].items())
        rng.shuffle(notes)
        for key, note in notes[:limit_per_doc]:
            spans = [" ".join(text[a:b].split()) for a, b in (doc["spans"][i] for i in note["spans"])]
            flat = " ".join(text.split())
            spare = windows(flat, avoid=spans)
            question = f"Does the agreement say that {hypotheses[key].rstrip('.')}?"
            distractors = rng.sample(spare, min(PASSAGES, len(spare)))
            if note["choice"] == "NotMentioned" or not spans:
                example = assemble(question, [], distractors, [], rng)
            else:
                passage = clause_passage(flat, spans[0], "", rng)
                if passage is None:
                    continue
                sentences = answer_sentences(passage.text, spans[0][:40])[:1]
                if not sentences:
                    continue
                lead = "Yes: " if note["choice"] == "Entailment" else "No: "
                sentences = [lead + sentences[0]]
                example = assemble(question, [passage], distractors, [sentences], rng)
            if example is not None:
                out.append(example)
    return out
