"""Self-consistency: do several sampled answers to the same question, from the same passages, say what
the shown answer says? A small model that knows the answer repeats it under sampling; one that guesses
scatters. Optional (it costs N more generations): `[reliability] self_consistency = N`.

Agreement of a shown sentence = the share of samples holding a sentence that means the same: cosine of
their embeddings at or above `min_similarity`, and no number of the shown sentence missing from it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from assistant.core.text import CITATION, numbers, split_sentences
from assistant.core.types import Hit
from assistant.embedding.embedder import Embedder
from assistant.generation.prompting import build_messages


@dataclass(frozen=True)
class Consistency:
    per_sentence: tuple[float, ...]  # 0..1 for each shown sentence
    samples: tuple[str, ...]

    @property
    def agreement(self) -> float:
        return sum(self.per_sentence) / len(self.per_sentence) if self.per_sentence else 0.0


class SelfConsistency:
    def __init__(self, generator, embedder: Embedder, samples: int = 4, temperature: float = 0.7,
                 min_similarity: float = 0.8, max_source_chars: int = 600) -> None:
        if not generator.can_sample:
            raise TypeError(f"self-consistency: expected a generator with sample(messages, n, ...), found "
                            f"{type(generator).__name__}; turn [reliability] self_consistency off for it")
        self.generator, self.embedder = generator, embedder
        self.samples, self.temperature, self.min_similarity = samples, temperature, min_similarity
        self.max_source_chars = max_source_chars

    def measure(self, question: str, hits: Sequence[Hit], shown: Sequence[str], adapter: str | None = None,
                seed: int = 0) -> Consistency:
        messages = build_messages(question, hits, self.max_source_chars)
        kwargs = {"adapter": adapter} if adapter else {}
        drawn = self.generator.sample(messages, self.samples, self.temperature, seed, **kwargs)
        return Consistency(self.agreement(shown, drawn), tuple(drawn))

    def agreement(self, shown: Sequence[str], drawn: Sequence[str]) -> tuple[float, ...]:
        if not shown:
            return ()
        per_sample = [[t for t in (" ".join(CITATION.sub(" ", s).split()) for s in split_sentences(d)) if t]
                      for d in drawn]
        flat = [s for sents in per_sample for s in sents]
        if not flat:
            return tuple(0.0 for _ in shown)
        vecs = self.embedder.encode(list(shown) + flat)
        shown_vecs, flat_vecs = vecs[: len(shown)], vecs[len(shown):]
        out = []
        for k, sentence in enumerate(shown):
            sims = flat_vecs @ shown_vecs[k]
            wanted = numbers(sentence)
            agree, offset = 0, 0
            for sents in per_sample:
                block = range(offset, offset + len(sents))
                if any(sims[i] >= self.min_similarity and wanted <= numbers(flat[i]) for i in block):
                    agree += 1
                offset = block.stop
            out.append(agree / len(drawn))
        return tuple(out)
