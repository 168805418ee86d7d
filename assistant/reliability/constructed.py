"""Verifier training and benchmark pairs made by construction from the shared CUAD contracts and
MedQuAD answers: the failures the issue tracker saw, rebuilt at scale.

For each source passage: the true sentence (supported) against the same sentence with one thing
changed (a number, unit, duration, jurisdiction, party, drug, negation or antonym); against the
passage with that sentence deleted; and answer-shaped pairs, where the claim is a question with the
sentence as its answer (`answer_claim`) — a sentence from the same document that answers another
question, a preamble given for a clause question, a non-answer or the question echoed are all
unsupported as answers even though their words are in the passage.

Split by document (contract or MedQuAD file) with the same stable hash as the NLI sets."""

from __future__ import annotations

import ast
import csv
import random
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Iterator

from assistant.core.text import split_sentences
from assistant.reliability.claims import answer_claim
from assistant.reliability.datasets import DEFAULT_DATA
from assistant.reliability.nli_sets import Pair, _pair, _side
from assistant.reliability.perturb import KINDS, entity_pool, perturb

WINDOW = 1200  # characters of passage around the target: about what one retrieved chunk holds
NON_ANSWERS = (
    "The answer to the question '{q}' is given in the source.",
    "The source number is, which confirms the answer.",
    "The author provides a detailed answer to this question.",
    "{q}",
    "This question is about {focus}.",
    "The passage discusses {focus} in detail.",
    "Please refer to the source for more information about {focus}.",
)
# CUAD clause categories a user asks about, and how a user would ask.
CUAD_QUESTIONS = {
    "Governing Law": "Which law governs this agreement?",
    "Renewal Term": "How long is the renewal term of the agreement?",
    "Notice Period To Terminate Renewal": "How much notice is needed to stop the agreement from renewing?",
    "Expiration Date": "When does the agreement expire?",
    "Termination For Convenience": "Can a party terminate the agreement for convenience?",
    "Anti-Assignment": "Can the agreement be assigned to another party?",
    "Audit Rights": "Does a party have the right to audit the other's records?",
    "Cap On Liability": "Is either party's liability capped?",
    "Non-Compete": "Is there a non-compete obligation?",
    "Exclusivity": "Is the arrangement exclusive?",
    "Insurance": "What insurance must a party maintain?",
    "Warranty Duration": "How long does the warranty last?",
    "Minimum Commitment": "Is there a minimum purchase or volume commitment?",
    "License Grant": "What license does the agreement grant?",
    "Post-Termination Services": "What must a party do after the agreement ends?",
}


def _window(text: str, start: int, end: int, rng: random.Random) -> str:
    """About WINDOW characters of `text` holding [start, end), the target at a random offset in it."""
    room = max(WINDOW - (end - start), 0)
    before = rng.randint(0, room)
    return text[max(0, start - before): end + (room - before)]


def _perturbed(sentence: str, pool: list[str], rng: random.Random, kinds=KINDS) -> tuple[str, str] | None:
    for kind in rng.sample(list(kinds), len(kinds)):
        changed = perturb(sentence, kind, pool, rng)
        if changed and changed != sentence:
            return changed, kind
    return None


def _sentence_pairs(doc_id: str, passage: str, source: str, pool: list[str], rng: random.Random,
                    question: str = "", n: int = 2) -> Iterator[Pair | None]:
    """Quote / perturbed / deleted pairs for up to n sentences of `passage`."""
    split = _side(f"{source}:{doc_id}")
    sentences = [s for s in split_sentences(passage) if 40 <= len(s) <= 400 and not s.rstrip().endswith("?")]
    for s in rng.sample(sentences, min(n, len(sentences))):
        start = passage.find(s)
        window = _window(passage, start, start + len(s), rng)
        yield _pair(window, answer_claim(question, s) if question else s, 1, source, split, "supported", doc_id)
        changed = _perturbed(s, pool, rng)
        if changed:
            claim = answer_claim(question, changed[0]) if question else changed[0]
            yield _pair(window, claim, 0, f"{source}-{changed[1]}", split, "contradicted", doc_id)
        deleted = window.replace(s, " ")
        if len(deleted.strip()) > 100 and s[:60] not in deleted:
            yield _pair(deleted, s, 0, f"{source}-deleted", split, "not_enough_info", doc_id)


def _lead(answer: str) -> str | None:
    """An answer's first real sentence: MedQuAD answers often open with their question as a heading."""
    return next((s for s in split_sentences(answer) if len(s) >= 40 and not s.rstrip().endswith("?")), None)


def medquad_pairs(root: str | Path | None = None, limit_files: int = 1500, seed: int = 0) -> list[Pair]:
    root = Path(root or DEFAULT_DATA / "medquad")
    files = sorted(root.glob("*/*.xml"))
    rng = random.Random(seed)
    rng.shuffle(files)
    docs = []
    for f in files[:limit_files]:
        try:
            doc = ET.parse(f).getroot()
        except ET.ParseError:
            continue
        qas = [(" ".join((qa.findtext("Question") or "").split()), " ".join((qa.findtext("Answer") or "").split()),
                (qa.find("Question").get("qtype") if qa.find("Question") is not None else ""))
               for qa in doc.iter("QAPair")]
        qas = [qa for qa in qas if qa[0] and len(qa[1]) > 120]
        if qas:
            docs.append((doc.get("id", f.stem), doc.findtext("Focus") or "this condition", qas))
    pool = entity_pool([a for _, _, qas in docs[:300] for _, a, _ in qas])
    out: list[Pair | None] = []
    for doc_id, focus, qas in docs:
        split = _side(f"medquad:{doc_id}")
        for i, (question, answer, qtype) in enumerate(qas[:4]):
            first = _lead(answer)
            if not first:
                continue
            window = answer[:WINDOW]
            out.append(_pair(window, answer_claim(question, first), 1, "medquad-answer", split, "supported", doc_id))
            changed = _perturbed(first, pool, rng)
            if changed:
                out.append(_pair(window, answer_claim(question, changed[0]), 0, f"medquad-{changed[1]}", split,
                                 "contradicted", doc_id))
            others = [qa for qa in qas if qa[2] != qtype and qa[1][:200] != answer[:200]]
            if others:
                _, other, _ = rng.choice(others)
                off = _lead(other)
                if off and off not in answer:
                    # Both answers in the passage: the sentence is true, but answers another question.
                    passage = f"{answer[:WINDOW // 2]} {other[:WINDOW // 2]}"
                    out.append(_pair(passage, answer_claim(question, off), 0, "medquad-off-question", split,
                                     "not_enough_info", doc_id))
            template = rng.choice(NON_ANSWERS)
            out.append(_pair(window, answer_claim(question, template.format(q=question, focus=focus)), 0,
                             "medquad-non-answer", split, "not_enough_info", doc_id))
            out += _sentence_pairs(doc_id, answer, "medquad", pool, rng, n=1)
    return [p for p in out if p is not None]


def _normal(text: str) -> str:
    return " ".join(text.split())


def cuad_pairs(root: str | Path | None = None, seed: int = 0) -> list[Pair]:
    root = Path(root or DEFAULT_DATA / "cuad")
    rng = random.Random(seed)
    texts = {p.stem: _normal(p.read_text(encoding="utf-8", errors="replace"))
             for p in sorted((root / "full_contract_txt").glob("*.txt"))}
    pool = ["Company", "Distributor", "Licensee", "Licensor", "Supplier", "Customer", "Consultant", "Reseller"]
    out: list[Pair | None] = []
    with open(root / "master_clauses.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for row in rows:
        name = Path(row["Filename"]).stem
        text = texts.get(name) or next((t for k, t in texts.items() if k.startswith(name[:40])), "")
        if not text:
            continue
        split = _side(f"cuad:{name}")
        preamble = next((s for s in split_sentences(text[:1500]) if len(s) >= 60), text[:300])
        clauses = {}
        for category in CUAD_QUESTIONS:
            try:
                spans = [_normal(s) for s in eval_list(row.get(category, "[]"))]
            except ValueError:
                continue
            spans = [s for s in spans if 40 <= len(s) <= 600 and s in text]
            if spans:
                clauses[category] = spans[0]
        for category, clause in clauses.items():
            question = CUAD_QUESTIONS[category]
            start = text.find(clause)
            window = _window(text, start, start + len(clause), rng)
            out.append(_pair(window, answer_claim(question, clause), 1, "cuad-answer", split, "supported", name))
            changed = _perturbed(clause, pool, rng, ("jurisdiction", "number", "unit", "negation", "antonym",
                                                     "entity"))
            if changed:
                out.append(_pair(window, answer_claim(question, changed[0]), 0, f"cuad-{changed[1]}", split,
                                 "contradicted", name))
            # The contract's opening words are in the KB, but they are not the answer to a clause question.
            out.append(_pair(f"{preamble} {window}", answer_claim(question, preamble), 0, "cuad-preamble", split,
                             "not_enough_info", name))
            other = [c for k, c in clauses.items() if k != category and c[:80] != clause[:80]]
            if other:
                pick = rng.choice(other)
                out.append(_pair(f"{window} {pick}", answer_claim(question, pick), 0, "cuad-off-question", split,
                                 "not_enough_info", name))
            if rng.random() < 0.3:
                template = rng.choice(NON_ANSWERS)
                out.append(_pair(window, answer_claim(question, template.format(q=question, focus="the agreement")),
                                 0, "cuad-non-answer", split, "not_enough_info", name))
            out += _sentence_pairs(name, window, "cuad", pool, rng, n=1)
    return [p for p in out if p is not None]


def eval_list(cell: str) -> list[str]:
    """CUAD's clause cells are Python list literals of strings; ast.literal_eval reads them without eval()."""
    try:
        value = ast.literal_eval((cell or "[]").strip())
    except (SyntaxError, ValueError):
        raise ValueError(f"expected a list literal of strings, found {cell[:40]!r}") from None
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"expected a list literal of strings, found {cell[:40]!r}")
    return value
