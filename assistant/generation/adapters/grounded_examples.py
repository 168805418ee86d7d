"""Building blocks of the grounded-answer examples (grounded.py assembles the sources): passages laid
out as the prompt shows them, cited extractive targets, distractor windows, the shared halves split."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from assistant.core.text import split_sentences
from assistant.generation.adapters.data import Example, split_ids
from assistant.generation.prompting import NOT_IN_SOURCES

PASSAGES = 4  # retrieval's default top_k: the number of passages a production prompt carries
PASSAGE_CHARS = 600  # the generator's max_source_chars: longer passages are cut in the prompt anyway
HELD_OUT = 0.5  # half of every shared set stays out of training (bench/answers.py scores it)
MAX_TARGET_CHARS = 420
DECISION = re.compile(r"^(?:Yes|No|Maybe): ")  # a yes/no question's answer opens with its decision


def shared_data() -> Path:
    """`../shared/data` beside the checkout, where the public dev sets lie (never copied in)."""
    from assistant.core.errors import AssistantError

    path = Path(__file__).resolve().parents[4] / "shared" / "data"
    if not path.is_dir():
        raise AssistantError(f"grounded-answer data: expected the shared datasets at {path}, found nothing; "
                             "they live in ../shared/data beside the checkout")
    return path


@dataclass(frozen=True)
class Passage:
    """One passage as the prompt shows it: `title — locator: text`."""
    text: str
    title: str = ""
    locator: str = ""

    def render(self) -> str:
        """At most PASSAGE_CHARS in all, so the prompt shows every word of it (build_messages cuts a
        longer context, heading included, and a target from the cut part would cite unseen text)."""
        head = " — ".join(p for p in (self.title, self.locator) if p)
        body = " ".join(self.text.split())
        room = PASSAGE_CHARS - (len(head) + 2 if head else 0) - 2
        if len(body) > room:
            body = body[:room].rsplit(" ", 1)[0] + " …"
        return f"{head}: {body}" if head else body


def halves(ids: Sequence[str]) -> tuple[set[str], set[str]]:
    """(train, held-out) halves of a set's ids: the split every grounded source and the bench share."""
    train, held = split_ids(ids, held_out=HELD_OUT, seed=0)
    return set(train), set(held)


def cite(sentence: str, n: int) -> str:
    """`sentence` ending with ` [n]` before its full stop."""
    s = " ".join(sentence.split()).rstrip()
    if s and s[-1] in ".!?;:,":
        s = s[:-1].rstrip()
    return f"{s} [{n}]."


# A source sentence holding "[12]" (a reference, a redaction) would read as a citation in the target.
_MARKER = re.compile(r"\[\s*\d")


def answer_sentences(text: str, must_contain: str = "", limit: int = 2) -> list[str]:
    """Up to `limit` sentences of `text` that make an answer: questions and fragments skipped, the one
    containing `must_contain` (the asked fact) first, and no more than MAX_TARGET_CHARS in all."""
    sentences = [s for s in (" ".join(x.split()) for x in split_sentences(text))
                 if len(s) >= 25 and not s.endswith("?") and not s.startswith("#") and not _MARKER.search(s)]
    if must_contain:
        key = must_contain.lower()
        first = [s for s in sentences if key in s.lower()]
        sentences = first[:1] + [s for s in sentences if s not in first[:1]]
    out, used = [], 0
    for s in sentences[:limit]:
        if s.endswith(":"):  # a list's lead-in: the list is not in the sentence, so it answers nothing
            break
        if len(s) > MAX_TARGET_CHARS:
            s = _clip(s)
        if out and used + len(s) > MAX_TARGET_CHARS:
            break
        out.append(s)
        used += len(s)
    return out


def _clip(sentence: str) -> str:
    """A long sentence cut at its last clause boundary before MAX_TARGET_CHARS (the passage's words)."""
    head = sentence[:MAX_TARGET_CHARS]
    cut = max(head.rfind(", "), head.rfind("; "))
    return head[:cut] if cut > MAX_TARGET_CHARS // 2 else head.rsplit(" ", 1)[0]


def assemble(question: str, gold: Sequence[Passage], distractors: Sequence[Passage], targets: Sequence[Sequence[str]],
             rng: random.Random) -> Example | None:
    """An example whose passages are the gold ones and distractors shuffled together; `targets[i]` are
    the answer sentences from gold[i], cited with the number that passage ends up at. No gold: the
    not-found answer."""
    passages = list(gold) + list(distractors)[:PASSAGES - len(gold)]
    order = list(range(len(passages)))
    rng.shuffle(order)
    shown = [passages[i] for i in order]
    number = {i: order.index(i) + 1 for i in range(len(gold))}
    if not gold:
        answer = NOT_IN_SOURCES
    elif not all(_visible(s, p.render()) for p, sentences in zip(gold, targets) for s in sentences):
        return None
    else:
        answer = " ".join(cite(s, number[i]) for i, sentences in enumerate(targets) for s in sentences)
    if not answer.strip() or not all(p.text.strip() for p in shown):
        return None
    return Example(question, tuple(p.render() for p in shown), answer)


def _visible(sentence: str, rendered: str) -> bool:
    """The target sentence's opening and ending words are in the passage as the prompt shows it (a
    leading decision, "Yes: …", is the answer's own word, not the passage's)."""
    flat = DECISION.sub("", " ".join(sentence.split())).rstrip(".!?;:, ")
    return flat[:50] in rendered and flat[-30:] in rendered


def windows(text: str, size: int = PASSAGE_CHARS, avoid: Sequence[str] = ()) -> list[Passage]:
    """The text cut into passage-sized windows starting at sentence boundaries, leaving out any window
    that holds one of `avoid` (the gold clauses: a distractor must not answer the question)."""
    flat = " ".join(text.split())
    starts = [m.end() for m in re.finditer(r"[.;:]\s+(?=[A-Z(0-9])", flat)]
    out, last = [], -size
    lowered = [a.lower()[:80] for a in avoid if a]
    for start in [0] + starts:
        if start - last < size:
            continue
        piece = flat[start:start + size]
        if len(piece) < 120 or any(a in flat[max(0, start - 200):start + size + 200].lower() for a in lowered):
            continue
        out.append(Passage(piece))
        last = start
    return out
