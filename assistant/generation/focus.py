"""Each passage led by its sentence closest to the question, for the generator's prompt only.

The grounded adapter (like most small models) copies from the start of the passage it picks: asked
"how much paid vacation comes with the offer?", it wrote the Benefits section's first sentence (medical,
dental and vision plans), true and verified, while "20 days of paid time off" sat two sentences later.
Moving the passage's best-matching sentence to its front, the rest in their order, puts the asked fact
where the model reads first. The passage keeps every word, so `[n]` still means the same source; the
answer checker verifies against the passage as stored, not this reordering."""

from __future__ import annotations

from dataclasses import replace
from typing import Callable, Sequence

import numpy as np

from assistant.core.text import split_sentences
from assistant.core.types import Hit
from assistant.generation.prompting import LEADING_HEADING


def focus(question: str, hits: Sequence[Hit], encode: Callable[[list[str]], np.ndarray]) -> list[Hit]:
    """`hits` with each passage's sentence closest to `question` (cosine of `encode`'s normalised
    vectors) moved to the front, after its markdown heading; passages of one sentence stay as they are."""
    bodies, parts = [], []
    for hit in hits:
        text = hit.chunk.text
        m = LEADING_HEADING.match(text)
        head, body = (text[:m.end()].lstrip(), text[m.end():]) if m else ("", text)
        sentences = split_sentences(body)
        bodies.append((head, sentences))
        parts.extend(sentences if len(sentences) > 1 else [])
    if not parts:
        return list(hits)
    vectors = encode([question] + parts)
    scores = iter(vectors[1:] @ vectors[0])
    out = []
    for hit, (head, sentences) in zip(hits, bodies):
        if len(sentences) <= 1:
            out.append(hit)
            continue
        ranked = [next(scores) for _ in sentences]
        best = int(np.argmax(ranked))
        if best == 0:
            out.append(hit)
            continue
        order = [sentences[best]] + sentences[:best] + sentences[best + 1:]
        out.append(replace(hit, chunk=replace(hit.chunk, text=head + " ".join(order))))
    return out
