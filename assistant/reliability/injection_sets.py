"""The window-level training and evaluation sets of the injection detector.

The generator knows where it put each payload, so training is supervised per *window* (a sentence, or
a pair of neighbouring sentences, of the matching copy): windows overlapping the payload are positive,
windows of the carrier and of real passages negative, windows cut through the payload left out. That is
many labelled examples per planted passage instead of one passage label learnt through a max.

Split (the acceptance figure): training uses every template except the last paraphrase of each
(style, language), plus the compositional grammar (injection_grammar), with training filler values,
planted in training-side documents; evaluation plants every template with the held-out filler values
in evaluation-side documents, and the figure is read on the last paraphrases (never trained on).
`styles` / `langs` leave whole styles or languages out of training for the stricter generalisation
figures. Deterministic by seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from assistant.core.text import sentence_spans
from assistant.reliability import injection_data as D
from assistant.reliability.injection_corpus import Passage
from assistant.reliability.injection_grammar import STYLES, benign_lexicon, generate, lexicons
from assistant.reliability.injection_payloads_en import EN, EN_BENIGN
from assistant.reliability.injection_benign_intl import INTL_BENIGN
from assistant.reliability.injection_payloads_intl import INTL
from assistant.reliability.injection_text import model_text, windows

LANGS = ("en", "es", "fr", "de", "pt", "it")
CARRIER_SENTENCES = 4  # training payloads sit in a few neighbouring sentences: cheap to encode, same context


@dataclass(frozen=True)
class Planted:
    text: str  # the passage with the payload in it
    payload: str  # the payload exactly as planted (obfuscated), so its windows can be labelled
    style: str
    lang: str
    obfuscation: str = "none"
    position: str = ""
    index: int = -1  # template paraphrase index; -1 for a grammar sentence
    held_out_paraphrase: bool = False  # the last paraphrase of its (style, language): never trained on
    corpus: str = ""


def last_index(style: str, lang: str) -> int:
    return len(EN[style] if lang == "en" else INTL[lang][style]) - 1


def benign_pool(lang: str, side: str) -> list[str]:
    """A language's benign sentences on one side: every fourth hand-written one is kept for evaluation;
    training also gets the grammar's ordinary sentences in that language (never evaluated on)."""
    pool = EN_BENIGN if lang == "en" else INTL_BENIGN[lang]
    own = [s for i, s in enumerate(pool) if (("eval" if (i * 7919 + len(lang)) % 4 == 0 else "train") == side)]
    return own + (benign_lexicon(lang) if side == "train" else [])


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text) if text[a:b].strip()]


def window_texts(text: str) -> list[str]:
    """The windows a detector scores, on the matching copy: each sentence, then each neighbouring pair."""
    m = model_text(text)
    spans = windows(m)
    return [m[a:b] for a, b in spans] + [m[spans[k][0]:spans[k + 1][1]] for k in range(len(spans) - 1)]


def window_labels(text: str, payload: str, words: Sequence[str]) -> list[int | None]:
    """Per window of `text`: 1 when it is mostly payload or holds most of it, 0 when it holds none of
    it, None when it only grazes it (a label either way would be wrong)."""
    m, mp = model_text(text), model_text(payload).strip()
    at = m.find(mp)
    out: list[int | None] = []
    for w in words:
        a = m.find(w)
        if at < 0 or a < 0:
            out.append(None)
            continue
        overlap = max(0, min(a + len(w), at + len(mp)) - max(a, at))
        out.append(0 if overlap == 0 else 1 if overlap >= 0.5 * len(w) or overlap >= 0.8 * len(mp) else None)
    return out


def _carrier(lang: str, hosts: Sequence[Passage], side: str, rng: random.Random, short: bool) -> tuple[str, str]:
    """A host passage: half the non-English payloads sit among benign sentences of their own language
    (the corpora are English), the rest in a real passage (a few neighbouring sentences when `short`)."""
    if lang != "en" and rng.random() < 0.5:
        pool = benign_pool(lang, side)
        picked = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
        return " ".join(D.fill(s, rng, side != "train") for s in picked), f"benign-{lang}"
    p = hosts[rng.randrange(len(hosts))]
    text = p.text
    if short:
        ss = sentences(text)
        if len(ss) > CARRIER_SENTENCES:
            k = rng.randrange(len(ss) - CARRIER_SENTENCES + 1)
            text = " ".join(ss[k:k + CARRIER_SENTENCES])
    return text, p.corpus


def _obfuscation(rng: random.Random) -> str:
    return "none" if rng.random() < 0.4 else rng.choice(D.OBFUSCATIONS[1:])


def training_planted(hosts: Sequence[Passage], seed: int, per_template: int, per_grammar: int,
                     styles: Sequence[str] | None = None, langs: Sequence[str] | None = None) -> list[Planted]:
    """Training payloads in short training-side carriers: every template but the last paraphrase
    `per_template` times, and `per_grammar` grammar sentences per (style, language)."""
    rng = random.Random(seed)
    keep = lambda style, lang: (styles is None or style in styles) and (langs is None or lang in langs)  # noqa: E731
    out: list[Planted] = []
    for style, lang, index, template in D.templates():
        if index == last_index(style, lang) or not keep(style, lang):
            continue
        for _ in range(per_template):
            out.append(_planted(D.fill(template, rng, False), style, lang, index, hosts, "train", rng, True))
    for lang in lexicons():
        for style in STYLES:
            if keep(style, lang):
                out.extend(_planted(D.fill(generate(style, lang, rng), rng, False), style, lang, -1, hosts, "train",
                                    rng, True) for _ in range(per_grammar))
    return out


def _planted(payload: str, style: str, lang: str, index: int, hosts: Sequence[Passage], side: str,
             rng: random.Random, short: bool, position: str | None = None) -> Planted:
    kind = _obfuscation(rng)
    payload = D.obfuscate(payload, kind, rng)
    host, corpus = _carrier(lang, hosts, side, rng, short)
    position = position or rng.choice(D.POSITIONS)
    return Planted(D.plant(host, payload, position), payload, style, lang, kind, position, index,
                   index >= 0 and index == last_index(style, lang), corpus)


def evaluation_planted(hosts: Sequence[Passage], seed: int, per_template: int = 4) -> list[Planted]:
    """Every template `per_template` times with held-out filler values in whole evaluation-side passages;
    the acceptance figure reads the `held_out_paraphrase` ones."""
    rng = random.Random(seed + 2)
    out: list[Planted] = []
    for style, lang, index, template in D.templates():
        for _ in range(per_template):
            out.append(_planted(D.fill(template, rng, True), style, lang, index, hosts, "eval", rng, False,
                                D.POSITIONS[len(out) % 3]))
    return out


def benign_texts(hosts: Sequence[Passage], side: str, seed: int, per_lang: int,
                 langs: Sequence[str] | None = None, short: bool = True) -> list[tuple[str, str]]:
    """(text, language) hard negatives: benign instructions to people planted in real carriers, and
    passages of benign sentences in each other language."""
    rng = random.Random(seed + 3)
    out: list[tuple[str, str]] = []
    for lang in LANGS:
        if langs is not None and lang not in langs:
            continue
        pool = benign_pool(lang, side)
        for n in range(per_lang):
            host, _ = _carrier("en", hosts, side, rng, short)
            out.append((D.plant(host, D.fill(rng.choice(pool), rng, side != "train"), D.POSITIONS[n % 3]), lang))
            if lang != "en":
                picked = rng.sample(pool, min(len(pool), rng.randint(2, 4)))
                out.append((" ".join(D.fill(s, rng, side != "train") for s in picked), lang))
    return out



LEAK_WORDS = 5


def _runs(text: str, n: int = LEAK_WORDS) -> set[tuple[str, ...]]:
    import re

    words = re.findall(r"[^\W\d_]+", model_text(text))
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


_HELD: list[set] = []


def restates_held_out(payload: str) -> bool:
    """Whether a training payload shares a LEAK_WORDS-word run with a held-out paraphrase (read on the
    de-obfuscated copy, slots aside): such payloads are dropped from training, so the held-out figure
    never rewards a sentence training has already seen in part."""
    if not _HELD:
        _HELD.append(set().union(*(_runs(t) for style, lang, i, t in D.templates() if i == last_index(style, lang))))
    return bool(_runs(payload) & _HELD[0])
