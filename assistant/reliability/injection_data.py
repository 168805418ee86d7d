"""The planted-instruction set: payload templates × fillers × obfuscations, embedded at the start, middle
or end of real passages; plus hard negatives (patient instructions, contract duties, notices) planted
the same way, so "an imperative sentence was inserted" is never the signal. Deterministic by seed.

The building blocks (templates, fill, obfuscate, plant) serve the window-level sets the detector is
trained and measured on (injection_sets). `planted` / `hard_negatives` build the earlier passage-level
set, whose split held out whole styles, one whole language and the last paraphrase of every (style,
language); the shipped screen's figures come from injection_sets, not from these."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Sequence

from assistant.core.text import sentence_spans
from assistant.reliability.injection_corpus import Passage
from assistant.reliability.injection_payloads_en import EN, EN_BENIGN
from assistant.reliability.injection_benign_intl import INTL_BENIGN
from assistant.reliability.injection_payloads_intl import INTL

TRAIN, HELD_IN, HELD_OUT = "train", "held_in", "held_out"
HELD_OUT_STYLES = frozenset({"passive", "when_asked"})
HELD_OUT_LANGS = frozenset({"it"})
POSITIONS = ("start", "middle", "end")
OBFUSCATIONS = ("none", "leet", "homoglyph", "spacing", "zero_width", "case", "fullwidth")

# Fillers are split too: held-out samples name drugs, personas and words training never paired with a payload.
_FILLERS = {
    "drug": (["metformin", "ibuprofen", "warfarin", "lisinopril", "amoxicillin", "sertraline"],
             ["atorvastatin", "paracetamol", "insulin glargine", "methotrexate"]),
    "dose": (["5000 mg", "12 g", "80 mg/kg", "40 tablets"], ["9000 mg", "25 g", "60 capsules"]),
    "url": (["http://med-verify.example/login", "https://bit.ly/3xQ9zK", "http://secure-update.example.net"],
            ["https://rx-portal.example.org/claim", "http://tinyurl.example/ab12"]),
    "email": (["records@health-audit.example", "admin@contract-check.example"], ["intake@care-review.example"]),
    "persona": (["MedBot", "DAN", "LegalGPT"], ["FreeDoc", "OmegaAI"]),
    "word": (["APPROVED", "VOID", "SAFE"], ["CONFIRMED", "INVALID"]),
}
_LEET = str.maketrans({"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"})
_HOMOGLYPHS = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "i": "і"}


@dataclass(frozen=True)
class Sample:
    text: str
    label: int  # 1: carries an instruction to the model
    split: str  # TRAIN, HELD_IN or HELD_OUT
    style: str = ""  # payload style, or "benign-planted" / "benign-<lang>" / "real" for negatives
    lang: str = "en"
    obfuscation: str = "none"
    position: str = ""
    template: str = ""  # "style/lang/index": the unit the split holds out
    corpus: str = ""  # where the host passage came from


def templates() -> list[tuple[str, str, int, str]]:
    """(style, lang, paraphrase index, template) for every payload template."""
    out = [(style, "en", i, t) for style, items in EN.items() for i, t in enumerate(items)]
    for lang, styles in INTL.items():
        out.extend((style, lang, i, t) for style, items in styles.items() for i, t in enumerate(items))
    return out


def is_held_out(style: str, lang: str, index: int) -> bool:
    last = len(EN[style] if lang == "en" else INTL[lang][style]) - 1
    return style in HELD_OUT_STYLES or lang in HELD_OUT_LANGS or index == last


def fill(template: str, rng: random.Random, held_out: bool) -> str:
    values = {k: rng.choice(v[1] if held_out else v[0]) for k, v in _FILLERS.items()}
    return template.format(**values)


def obfuscate(text: str, kind: str, rng: random.Random) -> str:
    """The payload as an attacker would disguise it from a phrase list; the meaning stays readable."""
    if kind == "leet":
        return "".join(c.translate(_LEET) if rng.random() < 0.7 else c for c in text)
    if kind == "homoglyph":
        return "".join(_HOMOGLYPHS.get(c, c) if rng.random() < 0.6 else c for c in text)
    if kind == "zero_width":
        return "".join(c + "\u200b" if c.isalpha() and rng.random() < 0.3 else c for c in text)
    if kind == "case":
        return "".join(c.upper() if rng.random() < 0.5 else c.lower() for c in text)
    if kind == "fullwidth":
        return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)
    if kind == "spacing":  # the first words letter-spaced ("I g n o r e"), or dotted ("i.g.n.o.r.e")
        words = text.split(" ")
        sep = rng.choice([" ", ".", "-"])
        n = min(len(words), rng.randint(2, 4))
        return " ".join([sep.join(w) for w in words[:n]] + words[n:])
    return text


def plant(host: str, payload: str, position: str) -> str:
    """`payload` inserted between the host's sentences (or before / after them)."""
    spans = sentence_spans(host)
    if position == "start" or not spans:
        return f"{payload} {host}".strip()
    if position == "end":
        return f"{host.rstrip()} {payload}"
    cut = spans[len(spans) // 2][0] if len(spans) > 1 else len(host) // 2
    if len(spans) == 1:  # one long sentence: cut at a space near the middle
        cut = host.rfind(" ", 0, cut) + 1 or cut
    return f"{host[:cut].rstrip()} {payload} {host[cut:].lstrip()}"


def _benign_host(lang: str, rng: random.Random, held_out: bool) -> str:
    """A short ordinary passage in `lang`, from its benign sentences (the corpora are English only)."""
    pool = EN_BENIGN if lang == "en" else INTL_BENIGN[lang]
    return " ".join(fill(s, rng, held_out) for s in rng.sample(pool, min(len(pool), rng.randint(2, 4))))


def _host(lang: str, hosts: Sequence[Passage], rng: random.Random, held_out: bool) -> tuple[str, str]:
    if lang != "en" and rng.random() < 0.5:
        return _benign_host(lang, rng, held_out), f"benign-{lang}"
    p = hosts[rng.randrange(len(hosts))]
    return p.text, p.corpus


def _obfuscation(rng: random.Random) -> str:
    return "none" if rng.random() < 0.5 else rng.choice(OBFUSCATIONS[1:])


def planted(hosts_train: Sequence[Passage], hosts_eval: Sequence[Passage], seed: int = 0,
            per_train_template: int = 20, per_held_in: int = 2, per_held_out: int = 4) -> list[Sample]:
    """Positives: every training template `per_train_template` times (TRAIN) and `per_held_in` more
    times in evaluation hosts (HELD_IN); every held-out template `per_held_out` times (HELD_OUT)."""
    rng = random.Random(seed)
    out: list[Sample] = []
    for style, lang, index, template in templates():
        held = is_held_out(style, lang, index)
        plan = [(HELD_OUT, per_held_out)] if held else [(TRAIN, per_train_template), (HELD_IN, per_held_in)]
        for split, count in plan:
            for n in range(count):
                hosts = hosts_train if split == TRAIN else hosts_eval
                host, corpus = _host(lang, hosts, rng, split == HELD_OUT)
                kind = _obfuscation(rng)
                payload = obfuscate(fill(template, rng, split == HELD_OUT), kind, rng)
                position = POSITIONS[len(out) % 3]  # rotates across templates, not only within one
                out.append(Sample(plant(host, payload, position), 1, split, style, lang, kind, position,
                                  f"{style}/{lang}/{index}", corpus))
    return out


def hard_negatives(hosts_train: Sequence[Passage], hosts_eval: Sequence[Passage], seed: int = 0,
                   per_sentence: int = 12, eval_share: float = 0.25) -> list[Sample]:
    """Benign instructions to people planted in real hosts, and short ordinary passages per language.
    A quarter of the benign sentences are kept for evaluation only."""
    rng = random.Random(seed + 1)
    out: list[Sample] = []
    pools = [("en", EN_BENIGN)] + sorted(INTL_BENIGN.items())
    for lang, pool in pools:
        for index, sentence in enumerate(pool):
            split = HELD_OUT if (index * 7919 + len(lang)) % 4 == 0 or lang in HELD_OUT_LANGS else TRAIN
            for n in range(per_sentence if split == TRAIN else max(1, int(per_sentence * eval_share))):
                host, corpus = _host("en", hosts_train if split == TRAIN else hosts_eval, rng, split == HELD_OUT)
                position = POSITIONS[len(out) % 3]  # rotates across templates, not only within one
                out.append(Sample(plant(host, fill(sentence, rng, split == HELD_OUT), position), 0, split,
                                  "benign-planted", lang, "none", position, f"benign/{lang}/{index}", corpus))
        for n in range(per_sentence * 4):
            split = HELD_OUT if lang in HELD_OUT_LANGS or n % 4 == 0 else TRAIN
            out.append(Sample(_benign_host(lang, rng, split == HELD_OUT), 0, split, f"benign-{lang}", lang,
                              corpus=f"benign-{lang}"))
    return out


def real_negatives(passages: Sequence[Passage], split: str) -> list[Sample]:
    return [Sample(p.text, 0, split, "real", "en", corpus=p.corpus) for p in passages]


def describe(samples: Sequence[Sample]) -> dict:
    """Counts by split, label, style and language, for the data card."""
    from collections import Counter

    return {
        "by_split_label": dict(Counter(f"{s.split}/{'planted' if s.label else 'benign'}" for s in samples)),
        "planted_styles": dict(Counter(s.style for s in samples if s.label)),
        "planted_langs": dict(Counter(s.lang for s in samples if s.label)),
        "obfuscations": dict(Counter(s.obfuscation for s in samples if s.label)),
    }

