"""Cheap local signals of how well evidence supports a claim, each a float feature.

Most signals are measured against the claim's best-matching evidence sentence (highest mean of
embedding similarity and content-word recall): a wrong answer usually copies most of one source
sentence and changes one thing, and the rest of the passage must not lend it the missing word.
Only `recall_passage`, `cosine_passage` and `entity_passage` look at all of the evidence, so that a claim fusing two
sentences, or naming something found elsewhere in the source, is still measured.

The generator-as-judge and an NLI cross-encoder are optional: they cost a forward pass per pair.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from assistant.core.text import CITATION, content_words, split_sentences
from assistant.embedding.embedder import Embedder

CHEAP = ("lexical", "novel", "recall_passage", "bigram", "semantic", "cosine_passage", "numbers", "negation", "quantifier", "entity",
         "entity_passage")

# A mismatch means most when the sentence is otherwise a near-copy of the claim (a changed dose or an
# added "not"); against a loosely related sentence it is noise. These products let a linear
# combination weigh it that way. Derived at combination time, so cached signals stay valid.
DERIVED = {
    "numbers_x": lambda v: float(v["numbers"] < 1.0) * v["lexical"],
    "negation_x": lambda v: v["negation"] * v["lexical"],
    "quantifier_x": lambda v: v["quantifier"] * v["lexical"],
    "entity_x": lambda v: float(v["entity"] > 0.0) * v["lexical"],  # one wrong name is enough
    # A quote of the evidence with nothing changed: the safest kind of answer sentence.
    "clean_copy": lambda v: v["bigram"] * float(v["numbers"] == 1.0 and not v["negation"] and not v["entity"]
                                                and v["quantifier"] < 1.0),
}
COMBINED = CHEAP + tuple(DERIVED)
# The direction each signal may push the combination: +1 support, -1 against. A dev set whose
# refutations copy the evidence's wording would otherwise teach that copying is evidence against
# support, and a verbatim quote would fail.
AGAINST = frozenset({"negation", "quantifier", "entity", "entity_passage", *(set(DERIVED) - {"clean_copy"})})


def direction(name: str) -> int:
    return -1 if name in AGAINST else 1

_NEGATION = re.compile(r"\b(?:not|no|never|without|none|neither|nor|nothing|nobody|cannot|unable|absence|"
                       r"lack(?:s|ed|ing)?|fail(?:s|ed|ing)? to)\b|n['’]t\b", re.I)
# Words that change a statement's scope or direction; a claim that trades one for its opposite
# ("increases" for "decreases", "all" for "some") keeps almost every word of its source.
_QUANTIFIERS = {
    "universal": "all every always none never only entire entirely whole",
    "partial": "some most many several few often sometimes usually may might can could rarely",
    "up": "increase increases increased increasing more higher greater rise rises raised elevated above exceed exceeds",
    "down": "decrease decreases decreased decreasing less lower fewer reduce reduces reduced reduction decline "
            "declines drop drops below",
}
_QUANT_WORDS = {w: g for g, ws in _QUANTIFIERS.items() for w in ws.split()}
_OPPOSITE = {"universal": "partial", "partial": "universal", "up": "down", "down": "up"}
_WORDS = re.compile(r"[A-Za-z][A-Za-z'’\-]*")
_UNITS = ("%", "percent", "mg", "mcg", "µg", "ug", "g", "kg", "ml", "l", "mmol", "iu", "unit", "day", "week",
          "month", "year", "hour", "h", "minute", "min", "second", "time", "mm", "cm", "m", "dose", "tablet")
_NUMBER_UNIT = re.compile(r"(\d[\d,]*(?:\.\d+)?)\s*(%|[A-Za-zµ]+)?")
# Drug-name endings: a swapped drug is usually lower-case mid-sentence, so capitals alone miss it.
_DRUG = re.compile(r"\b[a-z]{3,}(?:mab|vir|cillin|mycin|cycline|pril|sartan|olol|statin|azole|prazole|floxacin|"
                   r"dipine|tidine|parin|formin|glitazone|gliptin|oxetine|azepam|triptan|profen|sone|lone|"
                   r"quine|terol|tinib|platin|taxel|rubicin|amine|idine|ine)\b")
_CAPITALISED = re.compile(r"(?<![.!?]\s)(?<!^)\b([A-Z][a-zA-Z0-9\-]+(?:\s+[A-Z][a-zA-Z0-9\-]+)*)")
_ALNUM = re.compile(r"\b(?=[A-Za-z\-]*\d)(?=[0-9\-]*[A-Za-z])[A-Za-z0-9\-]{2,}\b")
_NOT_ENTITIES = frozenset("the a an this that these those it its in on at for of and or but if when while with "
                          "however although covid-19 i we you he she they there".split())


@dataclass
class Features:
    """Signals of one (claim, evidence) pair and the evidence sentence they were measured against."""
    values: dict[str, float] = field(default_factory=dict)
    evidence: str = ""

    def vector(self, names: Sequence[str]) -> np.ndarray:
        return np.array([self.values[n] if n in self.values else DERIVED[n](self.values) for n in names],
                        dtype=np.float64)


def evidence_sentences(passage: str) -> list[str]:
    return [s for s in split_sentences(passage) if any(ch.isalnum() for ch in s)] or [passage]


def negated(text: str) -> bool:
    return bool(_NEGATION.search(text))


def quantifier_mismatch(claim: str, sentence: str) -> float:
    """1 when the claim uses a quantifier whose opposite group the sentence uses instead, 0.5 when the
    sentence simply lacks the claim's quantifier group, else 0."""
    groups = {_QUANT_WORDS[w] for w in _WORDS.findall(claim.lower()) if w in _QUANT_WORDS}
    found = {_QUANT_WORDS[w] for w in _WORDS.findall(sentence.lower()) if w in _QUANT_WORDS}
    if not groups:
        return 0.0
    if any(_OPPOSITE[g] in found and g not in found for g in groups):
        return 1.0
    return 0.0 if groups <= found else 0.5


def numbers_with_units(text: str) -> set[tuple[str, str]]:
    """(number, unit) pairs; unit '' when none follows. Units are folded to singular lower case."""
    out = set()
    for m in _NUMBER_UNIT.finditer(CITATION.sub(" ", text)):
        unit = (m.group(2) or "").lower()
        unit = unit[:-1] if unit.endswith("s") and unit[:-1] in _UNITS else unit
        out.add((m.group(1).replace(",", ""), unit if unit in _UNITS else ""))
    return out


def numbers_consistent(claim: str, sentence: str) -> float:
    """Share of the claim's numbers found in the sentence, with the claim's unit when it gives one
    (a number is a dose, a duration or a date: "5 mg" is not supported by "5 days")."""
    wanted = numbers_with_units(claim)
    if not wanted:
        return 1.0
    have = numbers_with_units(sentence)
    plain = {n for n, _ in have}
    return sum((n, u) in have if u else n in plain for n, u in wanted) / len(wanted)


def entities(text: str) -> set[str]:
    """Names a claim can get wrong: capitalised words not opening a sentence, drug-like words,
    codes mixing letters and digits. Lower-cased."""
    text = CITATION.sub(" ", text)
    found = {m.group(0).lower() for m in _DRUG.finditer(text)} | {m.group(0).lower() for m in _ALNUM.finditer(text)}
    for m in _CAPITALISED.finditer(text):
        for word in m.group(1).split():
            if word.lower() not in _NOT_ENTITIES and not word.isdigit():
                found.add(word.lower())
    return found


def entity_missing(claim_entities: set[str], text: str) -> float:
    if not claim_entities:
        return 0.0
    lowered = text.lower()
    return sum(not re.search(rf"\b{re.escape(e)}\b", lowered) for e in claim_entities) / len(claim_entities)


def bigrams(words: Sequence[str]) -> set[tuple[str, str]]:
    return set(zip(words, words[1:]))


def _recall(words: Sequence[str], vocabulary: set) -> float:
    return sum(w in vocabulary for w in words) / len(words) if words else 0.0


class SignalExtractor:
    """Cheap signals for many (claim, evidence) pairs at once: every text is embedded in one batch."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def extract(self, claims: Sequence[str], evidences: Sequence[Sequence[str]], question: str | Sequence[str] = ""
                ) -> list[list[Features]]:
        """features[i][j] of claim i against evidence j, an evidence being a list of passages whose
        sentences are pooled. `question` (one for all claims, or one per claim) discounts words that
        merely echo it."""
        pairs = [(i, j) for i in range(len(claims)) for j in range(len(evidences))]
        flat = self._pairs(claims, evidences, question, pairs)
        return [flat[i * len(evidences):(i + 1) * len(evidences)] for i in range(len(claims))]

    def extract_pairs(self, claims: Sequence[str], evidences: Sequence[Sequence[str]],
                      question: str | Sequence[str] = "") -> list[Features]:
        """features of claim k against evidence k, for every k: a dataset's rows in one batch."""
        return self._pairs(claims, evidences, question, [(k, k) for k in range(len(claims))])

    def _pairs(self, claims, evidences, question, pairs) -> list[Features]:
        questions = [question] * len(claims) if isinstance(question, str) else list(question)
        sentences = [[s for p in ev for s in evidence_sentences(p)] for ev in evidences]
        joined = [" ".join(ev) for ev in evidences]
        unique = list(dict.fromkeys(list(claims) + [s for ss in sentences for s in ss] + joined))
        index = {t: k for k, t in enumerate(unique)}
        vectors = self.embedder.encode(unique)
        words = {t: content_words(t) for t in unique}
        sets = {t: set(w) for t, w in words.items()}
        joined_sets = [set(content_words(j)) for j in joined]
        claim_info = {}
        out = []
        for i, j in pairs:
            claim = claims[i]
            if i not in claim_info:
                cw = words[claim]
                asked = set(content_words(questions[i])) if questions[i] else set()
                claim_info[i] = (cw, [w for w in cw if w not in asked] or cw, entities(claim), bigrams(cw))
            cw, novel, ents, claim_bigrams = claim_info[i]
            ss = sentences[j]
            if not ss:
                out.append(Features({n: 0.0 for n in CHEAP} | {"entity": 1.0, "entity_passage": 1.0}, ""))
                continue
            sims = vectors[[index[s] for s in ss]] @ vectors[index[claim]]
            lex = np.array([_recall(cw, sets[s]) for s in ss])
            k = int(np.argmax(np.maximum(sims, 0) + lex))
            best = ss[k]
            values = {
                "lexical": float(lex[k]),
                # Echoing the question proves nothing: the words a claim adds to it are its answer.
                "novel": _recall(novel, sets[best]),
                "recall_passage": _recall(cw, joined_sets[j]),
                "bigram": (len(claim_bigrams & bigrams(words[best])) / len(claim_bigrams)) if claim_bigrams
                else float(lex[k]),
                "semantic": float(max(sims[k], 0.0)),
                # The whole evidence too: support spread over several sentences has no best one.
                "cosine_passage": float(max(vectors[index[joined[j]]] @ vectors[index[claim]], 0.0)),
                "numbers": numbers_consistent(claim, best),
                "negation": float(negated(claim) != negated(best)),
                "quantifier": quantifier_mismatch(claim, best),
                "entity": entity_missing(ents, best),
                "entity_passage": entity_missing(ents, joined[j]),
            }
            out.append(Features(values, best))
        return out


class PairScorer:
    """An optional model-based signal: warm_up() loads it, score(claims, evidences) gives 0..1 per pair.
    What it reads is declared here: `reads_passages` scorers get every cited passage (they window them
    themselves), the others the claim's best-matching evidence sentence; `answer_shaped` ones judge
    answer_claim(question, sentence) instead of the bare sentence."""

    reads_passages = False
    answer_shaped = False

    def warm_up(self) -> None:
        raise NotImplementedError

    def score(self, claims: Sequence[str], evidences: Sequence) -> list[float]:
        raise NotImplementedError


class GeneratorJudge(PairScorer):
    """P("yes") to "Does the passage support the statement?" from the bundled SmolLM2's next-token
    logits: one forward pass per pair, no generation. Loaded on first use (seconds)."""

    PROMPT = ("Passage: {evidence}\nStatement: {claim}\n"
              "Does the passage support the statement? Answer Yes or No.")

    def __init__(self, generator_config=None, max_evidence_chars: int = 600) -> None:
        from assistant.core.settings import GeneratorConfig

        self.config = generator_config or GeneratorConfig()
        self.max_evidence_chars = max_evidence_chars
        self._model: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            import torch
            from transformers import AutoModelForCausalLM, AutoTokenizer

            from assistant.core.models import (
                cached_bundled_model,
                generator_path,
                quiet_transformers,
            )

            quiet_transformers()
            path = generator_path(self.config.model) or cached_bundled_model(self.config.cache_path())
            tok = AutoTokenizer.from_pretrained(path)
            model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32).eval()
            ids = lambda words: sorted({tok.encode(w, add_special_tokens=False)[0] for w in words})  # noqa: E731
            self._yes, self._no = ids(["Yes", " Yes", "yes", " yes"]), ids(["No", " No", "no", " no"])
            self._tok, self._model = tok, model

    def score(self, claims: Sequence[str], evidences: Sequence[str]) -> list[float]:
        import torch

        self.warm_up()
        out = []
        for claim, evidence in zip(claims, evidences):
            content = self.PROMPT.format(evidence=evidence[: self.max_evidence_chars], claim=claim)
            messages = [{"role": "user", "content": content}]
            if self._tok.chat_template:
                inputs = self._tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                                       return_dict=True)
            else:
                inputs = self._tok(content + "\nAnswer:", return_tensors="pt")
            with torch.inference_mode():
                logits = self._model(**inputs).logits[0, -1]
            yes, no = torch.logsumexp(logits[self._yes], 0), torch.logsumexp(logits[self._no], 0)
            out.append(float(torch.sigmoid(yes - no)))
        return out


def window_chars(max_length: int) -> int:
    """The premise window that fits `max_length` tokens beside a claim: about 4.5 characters a token
    once ~40 tokens are left for the claim (256 tokens → 1,000 characters). Training and run time
    both take it from the model's max_length, so the model reads windows of the size it learnt on."""
    return max(200, int((max_length - 40) * 4.63))


WINDOW_CHARS = window_chars(256)  # 1,000: what a 256-token cross-encoder reads beside a claim


def best_window(passage: str, claim: str, limit: int = WINDOW_CHARS) -> str:
    """The window of `passage` sharing most content words with `claim`: what a training pair keeps of a
    long premise. Run time takes the maximum over every window, so the window closest to the claim is
    the one a supported claim must win on and an unsupported one must still lose on."""
    found = windows(passage, limit)
    if len(found) == 1:
        return found[0]
    words = set(content_words(claim))
    return max(found, key=lambda w: len(words & set(content_words(w))))


def windows(passage: str, limit: int = WINDOW_CHARS) -> list[str]:
    """The passage itself when it fits, else runs of consecutive sentences of at most `limit` characters,
    each starting one sentence after the last: every sentence is read with its neighbours."""
    if len(passage) <= limit:
        return [passage]
    sentences = evidence_sentences(passage)
    out = []
    for k in range(len(sentences)):
        window = sentences[k]
        for s in sentences[k + 1:]:
            if len(window) + 1 + len(s) > limit:
                break
            window += " " + s
        if not out or window not in out[-1]:
            out.append(window)
    return out


def max_over_windows(tok, model, premises: Sequence[str | Sequence[str]], claims: Sequence[str], max_length: int,
                     batch_size: int = 32, entail: int = -1) -> list[float]:
    """P(supported) of claims[k] against premises[k] (a passage or a list of passages): the maximum over
    the windows of every passage, windows sized for max_length (signals.window_chars). What run time
    reads and what the held-out report measures."""
    from assistant.reliability.ce_model import probabilities

    limit = window_chars(max_length)
    pairs = [(k, w) for k, ev in enumerate(premises) for p in ([ev] if isinstance(ev, str) else ev)
             for w in windows(p or " ", limit)]
    probs = probabilities(tok, model, [w for _, w in pairs], [claims[k] for k, _ in pairs], max_length, batch_size,
                          entail)
    best = [0.0] * len(claims)
    for (k, _), p in zip(pairs, probs):
        best[k] = max(best[k], p)
    return best


class CrossEncoderScorer(PairScorer):
    """A cross-encoder in a local directory: the verifier model the project ships (ce_model.py's delta
    format), a retrained one, or any Hugging Face / sentence-transformers CrossEncoder the user points at.
    Its config's id2label tells which output is "entailment" (an NLI head has 3 outputs; a one-logit
    head is P(supported) through a sigmoid). Output: a 0..1 support score per (claim, evidence), the
    maximum over the windows of the evidence's passages, all pairs in length-sorted batches."""

    reads_passages = True

    def __init__(self, path: str | Path, batch_size: int = 32, max_length: int = 256) -> None:
        self.path = Path(path).expanduser()
        self.batch_size = batch_size
        self.max_length = max_length
        self._model: Any = None
        self._entail = -1
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        with self._lock:
            if self._model is not None:
                return
            from assistant.reliability import ce_model

            tok, model, meta = ce_model.load(self.path)
            labels = {str(v).lower(): int(k) for k, v in (model.config.id2label or {}).items()}
            self._entail = next((i for name, i in labels.items() if name.startswith("entail")), -1)
            self.max_length = int(meta.get("max_length", self.max_length))
            # Only the project's own format was trained on answer_claim(question, sentence) pairs.
            self.answer_shaped = bool(meta)
            self._tok, self._model = tok, model

    def score(self, claims: Sequence[str], evidences: Sequence[str | Sequence[str]]) -> list[float]:
        """claims[k] against evidences[k] (a passage or a list of passages)."""
        self.warm_up()
        return max_over_windows(self._tok, self._model, evidences, claims, self.max_length, self.batch_size,
                                self._entail)
