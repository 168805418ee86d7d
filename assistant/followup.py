"""Follow-up questions in a conversation. "And for children?" or "Is it safe in pregnancy?" say
nothing retrieval could find on their own: the topic is in the question before. Deterministic rules, no
model; the page shows the question as it was asked, so a wrong guess is visible and can be rephrased:

- a follow-up pointing back with a pronoun ("who should not take it?") has the pronoun replaced by the
  subject of the conversation — the document the topic question named or its answer cited ("who should
  not take Metformin?"), so the follow-up's own aspect leads retrieval;
- any other follow-up ("and for children?") is asked after the topic question ("What is the usual dose
  of metformin? — and for children?"), which keeps the topic's aspect too.

The page keeps the topic and subject per session; the API, which gets only the messages, resolves them
from the user's turns (`question_from_turns`). Deterministic, so an evaluation or an audit can replay
the same conversation and get the same question."""

from __future__ import annotations

import re

from assistant.core.types import Answer
from assistant.retrieval.query import focus_terms, title_focus, title_key

# Openings that only make sense after another question.
_CONTINUATION = re.compile(r"^\s*(?:and|also|but|or|then|so|what about|how about|what if|and what about|"
                           r"and how about|same for|what else|anything else)\b", re.I)
# Words that point back at something named earlier.
_REFERENCE = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|he|she|his|her|there|the same)\b", re.I)
# Pronouns that stand for a thing ("this"/"that" are often determiners: "that clause").
_PRONOUN = re.compile(r"\b(it|its|they|them|their)\b", re.I)
MAX_OWN_TERMS = 3  # a question with more content words of its own than this names its topic itself


def is_follow_up(question: str) -> bool:
    terms = focus_terms(question)
    if _CONTINUATION.match(question):
        return True
    return len(terms) <= 1 or (len(terms) <= MAX_OWN_TERMS and bool(_REFERENCE.search(question)))


def contextual_question(question: str, topic: str | None, subject: str | None = None) -> tuple[str, str]:
    """(the question to ask the pipeline, the topic question for the next turn). `topic` is the last
    question that stood on its own, `subject` what it was about (`subject_of`); chained follow-ups all
    attach to them, not to each other, so the question asked never grows with the conversation."""
    question = " ".join(question.split())
    if not topic or not is_follow_up(question):
        return question, question
    if subject and _PRONOUN.search(question):
        def name(m: re.Match) -> str:
            return f"{subject}'s" if m.group(1).lower() in ("its", "their") else subject
        return _PRONOUN.sub(name, question, count=1), topic
    return f"{topic.rstrip()} — {question}", topic


def subject_of(question: str, answer: Answer) -> str | None:
    """The document a standalone question is about: the cited title it names, else the one document
    all its citations come from; None when that is unclear (then follow-ups repeat the question)."""
    titles = list(dict.fromkeys(c.chunk.title for c in answer.citations if c.chunk.title))
    named = title_focus(question, titles).titles
    if len(named) == 1:
        return next(t for t in titles if title_key(t) in named)
    return titles[0] if len(titles) == 1 and not named else None


def question_from_turns(user_turns: list[str]) -> str:
    """The question to ask for the last of `user_turns` (the user's messages, oldest first), the earlier
    ones replayed through `contextual_question` to find the topic (no answers here, so no subject)."""
    turns = [" ".join(t.split()) for t in user_turns if t.strip()]
    if not turns:
        raise ValueError("question_from_turns: expected at least one non-empty user message, found none")
    topic = None
    for turn in turns[:-1]:
        _, topic = contextual_question(turn, topic)
    return contextual_question(turns[-1], topic)[0]
