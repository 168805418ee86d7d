"""The prompt: numbered sources, then the question. `[n]` in the answer refers to source n."""

from __future__ import annotations

from typing import Sequence

from .types import Hit

SYSTEM = ("You are a careful assistant for a hospital or law firm. Answer the question using only the "
          "numbered sources. Cite the source number in brackets after each sentence, like [1]. If the "
          "sources do not answer the question, say that the answer is not in the sources.")


def source_block(hits: Sequence[Hit], max_chars: int) -> str:
    lines = []
    for n, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        head = " — ".join(p for p in (chunk.title, chunk.locator.label()) if p)
        text = " ".join(chunk.text.split())
        if len(text) > max_chars:
            text = text[:max_chars].rsplit(" ", 1)[0] + " …"
        lines.append(f"[{n}] {head}: {text}" if head else f"[{n}] {text}")
    return "\n".join(lines)


def build_messages(question: str, hits: Sequence[Hit], max_chars: int) -> list[dict[str, str]]:
    user = (f"Sources:\n{source_block(hits, max_chars)}\n\nQuestion: {question.strip()}\n"
            "Answer in one to three sentences, citing sources like [1].")
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": user}]


def plain_prompt(messages: list[dict[str, str]]) -> str:
    """For models without a chat template."""
    return "\n\n".join(m["content"] for m in messages) + "\n\nAnswer:"
