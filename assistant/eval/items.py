"""The one question format every evaluation reads, and its two file forms: JSONL and TREC qrels.

A JSONL line: {"id", "question" (or "claim" for `eval verify`), "relevant": [doc ids] or {doc id:
grade}, "evidence": passage or [passages], "answer", "label", "answerable": false, "scope": doc id or
[doc ids]}; all but the question are optional. `evidence` serves twice: the passages a claim is
verified against, and in retrieval a gold passage that a hit holding most of it finds."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from assistant.core.errors import AssistantError

FIELDS = ("id", "question", "claim", "relevant", "evidence", "answer", "label", "answerable", "scope")


@dataclass(frozen=True)
class EvalItem:
    id: str
    question: str  # the question, or the claim to verify
    relevance: dict[str, float] = field(default_factory=dict)  # doc id → grade (> 0 relevant)
    evidence: tuple[str, ...] = ()
    answer: str | None = None
    label: str | None = None
    answerable: bool = True
    scope: tuple[str, ...] = ()  # search only these documents (e.g. one contract)


class EvalDataError(AssistantError):
    """A question file or line is not usable; the message names file:line."""


def _strings(value, name: str) -> tuple[str, ...]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise ValueError(f'expected "{name}" as a string or a list of non-empty strings, found {value!r:.80}')
    return tuple(values)


def _relevance(value) -> dict[str, float]:
    if isinstance(value, dict):
        bad = {k: v for k, v in value.items() if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0}
        if bad:
            raise ValueError(f'expected "relevant" grades as numbers ≥ 0 (e.g. {{"doc-1": 2}}), found {bad!r:.80}')
        return {str(k): float(v) for k, v in value.items()}
    return {doc: 1.0 for doc in _strings(value, "relevant")}


def parse_item(obj, default_id: str) -> EvalItem:
    """An EvalItem from one parsed JSON line, or ValueError saying what was expected and found."""
    if not isinstance(obj, dict):
        raise ValueError(f"expected a JSON object, found {type(obj).__name__}")
    unknown = sorted(set(obj) - set(FIELDS))
    if unknown:
        raise ValueError(f"expected only the keys {', '.join(FIELDS)}; found {unknown} (a typo?)")
    text = obj.get("question", obj.get("claim"))
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f'expected a non-empty string "question" (or "claim"), found {text!r:.80}')
    for key in ("answer", "label"):
        if key in obj and not isinstance(obj[key], str):
            raise ValueError(f'expected "{key}" as a string, found {obj[key]!r:.80}')
    if not isinstance(obj.get("answerable", True), bool):
        raise ValueError(f'expected "answerable" as true or false, found {obj["answerable"]!r}')
    return EvalItem(id=str(obj.get("id", default_id)), question=" ".join(text.split()),
                    relevance=_relevance(obj["relevant"]) if "relevant" in obj else {},
                    evidence=_strings(obj["evidence"], "evidence") if "evidence" in obj else (),
                    answer=obj.get("answer"), label=obj.get("label"), answerable=obj.get("answerable", True),
                    scope=_strings(obj["scope"], "scope") if "scope" in obj else ())


def _lines(path: Path, what: str):
    if not path.is_file():
        raise EvalDataError(f"{path}: expected {what}, found no file there; check the path")
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                yield number, line


def load_jsonl(path: str | Path) -> list[EvalItem]:
    """Every line validated; the first bad one raises `file:line: expected …, found …`."""
    path = Path(path)
    items: list[EvalItem] = []
    for number, line in _lines(path, "a JSONL file of questions"):
        try:
            items.append(parse_item(json.loads(line), str(number)))
        except json.JSONDecodeError as exc:
            raise EvalDataError(f"{path}:{number}: expected one JSON object per line, found invalid JSON "
                                f"({exc.msg} at column {exc.colno})") from None
        except ValueError as exc:
            raise EvalDataError(f"{path}:{number}: {exc}") from None
    return _unique(items, path)


def _unique(items: list[EvalItem], path: Path) -> list[EvalItem]:
    if not items:
        raise EvalDataError(f"{path}: expected at least one question, found none")
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise EvalDataError(f"{path}: expected unique ids (results are cached by id), found {item.id!r} twice")
        seen.add(item.id)
    return items


def load_qrels(topics: str | Path, qrels: str | Path) -> list[EvalItem]:
    """TREC form: `qrels` lines `qid 0 docid grade`; `topics` lines `qid<TAB>query` or JSONL
    {"id", "question"|"query"}. Topics without any judgement are kept (they score 0)."""
    judged: dict[str, dict[str, float]] = {}
    for number, line in _lines(Path(qrels), "a TREC qrels file (qid 0 docid grade)"):
        parts = line.split()
        try:
            qid, _, doc, grade = parts
            judged.setdefault(qid, {})[doc] = float(grade)
        except ValueError:
            raise EvalDataError(f"{qrels}:{number}: expected 4 fields `qid 0 docid grade` (grade a number), "
                                f"found {line.strip()!r:.80}") from None
    items = []
    for number, line in _lines(Path(topics), "a topics file (qid<TAB>query, or JSONL)"):
        if line.lstrip().startswith("{"):
            obj = json.loads(line)
            qid, text = str(obj.get("id", number)), obj.get("question", obj.get("query"))
        else:
            qid, _, text = line.rstrip("\n").partition("\t")
        if not isinstance(text, str) or not text.strip():
            raise EvalDataError(f"{topics}:{number}: expected `qid<TAB>query` or {{\"id\", \"query\"}}, "
                                f"found {line.strip()!r:.80}")
        items.append(EvalItem(id=qid.strip(), question=" ".join(text.split()), relevance=judged.get(qid.strip(), {})))
    return _unique(items, Path(topics))
