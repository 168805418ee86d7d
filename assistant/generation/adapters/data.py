"""Adapter training data: one JSON object a line, `{"question", "contexts": [...], "answer"}`, where the
answer cites contexts as `[n]` (1-based, like the generator's numbered sources).

Sources of lines: a PubMedQA file (`convert_pubmedqa`) or the user's own knowledge base (`synthesize`).
PubMedQA answers end with a decision line `Answer: yes|no|maybe` that `parse_decision` reads back."""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

from assistant.core.errors import AssistantError
from assistant.core.text import CITATION, content_words, split_sentences
from assistant.core.types import Chunk, Hit
from assistant.generation.prompting import NOT_IN_SOURCES

DECISIONS = ("yes", "no", "maybe")
# The decision line is the answer's last line; matched case-insensitively, last occurrence wins so a
# model that restates it still parses.
_DECISION = re.compile(r"answer\s*:\s*(yes|no|maybe)\b", re.I)
_LOOSE_DECISION = re.compile(r"\b(yes|no|maybe)\b", re.I)


class AdapterDataError(AssistantError):
    """A training-data file or line is not usable."""


@dataclass(frozen=True)
class Example:
    question: str
    contexts: tuple[str, ...]
    answer: str

    def to_json(self) -> str:
        return json.dumps({"question": self.question, "contexts": list(self.contexts), "answer": self.answer},
                          ensure_ascii=False)


def validate(obj: object, where: str = "line") -> Example:
    """An Example from a parsed JSON object, or AdapterDataError saying what was expected and found."""
    if not isinstance(obj, dict):
        raise AdapterDataError(f"{where}: expected a JSON object, found {type(obj).__name__}")
    missing = [k for k in ("question", "contexts", "answer") if k not in obj]
    if missing:
        raise AdapterDataError(f"{where}: expected keys question, contexts, answer; missing {missing} "
                               f"(found keys {sorted(obj)})")
    q, ctx, ans = obj["question"], obj["contexts"], obj["answer"]
    if not isinstance(q, str) or not q.strip():
        raise AdapterDataError(f"{where}: 'question' must be a non-empty string, found {q!r}")
    if not isinstance(ctx, list) or not ctx or not all(isinstance(c, str) and c.strip() for c in ctx):
        raise AdapterDataError(f"{where}: 'contexts' must be a non-empty list of non-empty strings, found {ctx!r:.80}")
    if not isinstance(ans, str) or not ans.strip():
        raise AdapterDataError(f"{where}: 'answer' must be a non-empty string, found {ans!r}")
    cited = cited_numbers(ans)
    if not cited and ans.strip() != NOT_IN_SOURCES:
        raise AdapterDataError(f"{where}: the answer must cite its contexts as [n] (or be exactly {NOT_IN_SOURCES!r}); "
                               f"found no [n] marker in {ans!r:.80}")
    bad = sorted(n for n in cited if not 1 <= n <= len(ctx))
    if bad:
        raise AdapterDataError(f"{where}: the answer cites {bad} but there are only {len(ctx)} contexts; "
                               f"number markers 1..{len(ctx)}")
    return Example(q.strip(), tuple(c.strip() for c in ctx), ans.strip())


def load_examples(path: str | Path) -> list[Example]:
    """Every line of a JSONL file, validated; the first bad line raises with its line number."""
    path = Path(path)
    if not path.is_file():
        raise AdapterDataError(f"training data {path}: expected a JSONL file, found nothing there")
    out = []
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise AdapterDataError(f"{path}:{number}: expected one JSON object per line, found invalid JSON "
                                       f"({exc.msg} at column {exc.colno})") from None
            out.append(validate(obj, f"{path}:{number}"))
    if not out:
        raise AdapterDataError(f"training data {path}: expected at least one example line, found none")
    return out


def write_examples(examples: Iterable[Example], path: str | Path) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for ex in examples:
            fh.write(ex.to_json() + "\n")
            n += 1
    return n


def data_hash(examples: Sequence[Example]) -> str:
    """Identifies the training data in adapter metadata (order-sensitive: order changes the run)."""
    h = hashlib.sha256()
    for ex in examples:
        h.update(ex.to_json().encode("utf-8") + b"\n")
    return h.hexdigest()[:16]


def context_hits(contexts: Sequence[str], domain: str = "") -> list[Hit]:
    """Contexts as retrieval hits so training and evaluation prompts come from prompting.build_messages,
    exactly like the generator's."""
    hits = []
    for i, text in enumerate(contexts, start=1):
        chunk = Chunk(id=f"ctx{i}", doc_id=f"ctx{i}", text=text, start=0, end=len(text), domain=domain)
        hits.append(Hit(chunk=chunk, score=1.0 / i, relevance=1.0))
    return hits


# --- citation and decision parsing (shared with evaluate) ----------------------------------------
def cited_numbers(text: str) -> set[int]:
    return {int(n) for m in CITATION.finditer(text) for n in re.split(r"\s*,\s*", m.group(1))}


def body_sentences(answer: str) -> list[str]:
    """The answer's claim sentences: the decision line is a verdict, not a claim, so it is left out."""
    body = _DECISION.sub("", answer)
    return [s for s in split_sentences(body) if content_words(s)]


def parse_decision(answer: str) -> str | None:
    """yes/no/maybe from the `Answer: …` line; failing that, the first bare yes/no/maybe word."""
    found = _DECISION.findall(answer)
    if found:
        return found[-1].lower()
    loose = _LOOSE_DECISION.search(answer)
    return loose.group(1).lower() if loose else None


# --- PubMedQA -------------------------------------------------------------------------------------
def _best_context(sentence: str, contexts: Sequence[str]) -> int:
    """1-based index of the context sharing most content words with the sentence (ties: the later
    section, which in an abstract is the results/conclusions the long answer paraphrases)."""
    words = set(content_words(sentence))
    scores = [(len(words & set(content_words(c))), i) for i, c in enumerate(contexts, start=1)]
    return max(scores)[1]


def cite_sentences(text: str, contexts: Sequence[str]) -> str:
    """Each sentence of `text` with a `[n]` marker for its best-matching context, before the full stop."""
    out = []
    for sentence in split_sentences(text):
        s = sentence.rstrip()
        n = _best_context(s, contexts)
        end = s[-1] if s and s[-1] in ".!?" else "."
        core = s[:-1].rstrip() if s and s[-1] in ".!?" else s
        out.append(f"{core} [{n}]{end}")
    return " ".join(out)


def pubmedqa_example(item: dict, max_context_chars: int = 0, max_answer_sentences: int = 0) -> Example:
    """One PubMedQA item: abstract sections (labelled) as contexts, the long answer cited sentence by
    sentence, then `Answer: <final_decision>`. `max_context_chars` > 0 truncates each section and
    `max_answer_sentences` > 0 keeps the long answer's first sentences (shorter CPU training steps)."""
    contexts = []
    labels = item.get("LABELS") or [""] * len(item["CONTEXTS"])
    for label, text in zip(labels, item["CONTEXTS"]):
        text = " ".join(text.split())
        if max_context_chars and len(text) > max_context_chars:
            text = text[:max_context_chars].rsplit(" ", 1)[0] + " …"
        contexts.append(f"{label.title()}: {text}" if label else text)
    decision = item["final_decision"].strip().lower()
    long_answer = " ".join(item["LONG_ANSWER"].split())
    if max_answer_sentences:
        long_answer = " ".join(split_sentences(long_answer)[:max_answer_sentences])
    answer = f"{cite_sentences(long_answer, contexts)}\nAnswer: {decision}"
    return Example(item["QUESTION"].strip(), tuple(contexts), answer)


def load_pubmedqa(path: str | Path) -> dict[str, dict]:
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AdapterDataError(f"PubMedQA file {path}: not found; pass e.g. ../shared/data/pubmedqa/pqal_dev.json") from None
    except json.JSONDecodeError as exc:
        raise AdapterDataError(f"PubMedQA file {path}: expected one JSON object keyed by PubMed id, "
                               f"found invalid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise AdapterDataError(f"PubMedQA file {path}: expected a JSON object keyed by PubMed id, found {type(data).__name__}")
    for pmid, item in data.items():
        need = ("QUESTION", "CONTEXTS", "LONG_ANSWER", "final_decision")
        missing = [k for k in need if k not in item] if isinstance(item, dict) else list(need)
        if missing:
            raise AdapterDataError(f"PubMedQA file {path}, item {pmid}: missing {missing}; expected the "
                                   f"pqal format (QUESTION, CONTEXTS, LABELS, LONG_ANSWER, final_decision)")
        if str(item["final_decision"]).lower() not in DECISIONS:
            raise AdapterDataError(f"PubMedQA file {path}, item {pmid}: final_decision must be yes/no/maybe, "
                                   f"found {item['final_decision']!r}")
    return data


def split_ids(ids: Iterable[str], held_out: float = 0.2, seed: int = 0) -> tuple[list[str], list[str]]:
    """Deterministic train / held-out split: sorted ids shuffled with a fixed seed."""
    ordered = sorted(ids)
    random.Random(seed).shuffle(ordered)
    cut = len(ordered) - max(1, round(len(ordered) * held_out)) if len(ordered) > 1 else len(ordered)
    return ordered[:cut], ordered[cut:]


# --- synthesis from a knowledge base -------------------------------------------------------------
def _question_for(chunk: Chunk) -> str:
    """A question a user could ask that this chunk answers, from its locator section or document title."""
    topic = (chunk.locator.section or chunk.locator.clause or "").strip()
    title = chunk.title.strip()
    if topic and title and topic.lower() not in title.lower():
        return f"What does {title} say about {topic}?"
    if topic or title:
        return f"What does the document say about {topic or title}?"
    first = content_words(chunk.text)[:4]
    return f"What is said about {' '.join(first)}?"


def synthesize(chunks: Sequence[Chunk], n_contexts: int = 3, max_sentences: int = 2,
               seed: int = 0) -> list[Example]:
    """Question / cited-answer pairs from a KB's own chunks. Each example puts the answering chunk
    among distractors from other documents at a random position, so the model learns to pick the
    right source and cite its number rather than always citing [1]."""
    rng = random.Random(seed)
    usable = [c for c in chunks if len(split_sentences(c.text)) >= 1 and len(c.text.strip()) >= 40]
    out = []
    for chunk in usable:
        others = [c for c in usable if c.doc_id != chunk.doc_id] or [c for c in usable if c.id != chunk.id]
        distractors = rng.sample(others, min(n_contexts - 1, len(others)))
        position = rng.randrange(len(distractors) + 1)
        picked = distractors[:position] + [chunk] + distractors[position:]
        contexts = tuple(_context_text(c) for c in picked)
        sentences = split_sentences(" ".join(chunk.text.split()))[:max_sentences]
        answer = " ".join(_cite(s, position + 1) for s in sentences)
        out.append(Example(_question_for(chunk), contexts, answer))
    return out


def _context_text(chunk: Chunk) -> str:
    head = " — ".join(p for p in (chunk.title, chunk.locator.label()) if p)
    text = " ".join(chunk.text.split())
    return f"{head}: {text}" if head else text


def _cite(sentence: str, n: int) -> str:
    s = sentence.strip()
    if s and s[-1] in ".!?":
        return f"{s[:-1].rstrip()} [{n}]{s[-1]}"
    return f"{s} [{n}]."


def kb_chunks(kb) -> list[Chunk]:
    """Every chunk of a KnowledgeBase, in document order (read through its catalog)."""
    keys = kb.catalog.chunk_keys()
    chunks = kb.catalog.chunks(keys)
    return [chunks[k] for k in sorted(chunks)]


__all__ = ["AdapterDataError", "Example", "validate", "load_examples", "write_examples", "data_hash",
           "context_hits", "cited_numbers", "body_sentences", "parse_decision", "cite_sentences",
           "pubmedqa_example", "load_pubmedqa", "split_ids", "synthesize", "kb_chunks", "DECISIONS"]
