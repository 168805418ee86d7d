"""PubMedQA-style evaluation: each item answered from its own abstract; accuracy of the final
yes/no/maybe decision and the share of answer sentences that cite a valid source number."""

from __future__ import annotations

from typing import Callable, Sequence

from assistant.generation.adapters.base import prompt_messages
from assistant.generation.adapters.data import (
    Example,
    body_sentences,
    cited_numbers,
    parse_decision,
)


def citation_counts(answer: str, n_contexts: int) -> tuple[int, int]:
    """(sentences carrying at least one [n] with 1 <= n <= n_contexts, all claim sentences)."""
    sentences = body_sentences(answer)
    valid = sum(1 for s in sentences if (ns := cited_numbers(s)) and all(1 <= n <= n_contexts for n in ns))
    return valid, len(sentences)


def evaluate(generator, examples: Sequence[Example], adapter: str | None = None,
             progress: Callable[[int, int], None] | None = None, keep_answers: bool = False) -> dict:
    """`generator` is an AdapterGenerator (or anything with complete(messages, adapter=...)).
    The expected decision is read from each example's own answer line (`Answer: yes`)."""
    correct = valid = sentences = unparsed = 0
    answers = []
    max_chars = generator.config.max_source_chars
    for i, ex in enumerate(examples, start=1):
        expected = parse_decision(ex.answer)
        raw = generator.complete(prompt_messages(ex.question, ex.contexts, max_chars), adapter=adapter)
        got = parse_decision(raw)
        correct += int(got is not None and got == expected)
        unparsed += int(got is None)
        v, s = citation_counts(raw, len(ex.contexts))
        valid, sentences = valid + v, sentences + s
        if keep_answers:
            answers.append({"question": ex.question, "expected": expected, "got": got, "answer": raw})
        if progress:
            progress(i, len(examples))
    n = len(examples)
    out = {"n": n, "accuracy": round(correct / n, 4) if n else 0.0,
           "citation_rate": round(valid / sentences, 4) if sentences else 0.0,
           "sentences": sentences, "unparsed": unparsed, "adapter": adapter}
    if keep_answers:
        out["answers"] = answers
    return out
