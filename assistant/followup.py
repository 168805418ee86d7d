"""Follow-up questions in a conversation. "And for children?" or "Is it safe in pregnancy?" say
nothing retrieval could find on their own: the topic is in the question before. Deterministic rules, no
model; the page shows the question as it was asked, so a wrong guess is visible and can be rephrased:

- a follow-up pointing back with a pronoun ("who should not take it?") has the pronoun replaced by the
  subject of the conversation — the name the topic's answer gave when the topic asked for one ("Which
  medicine is used first for type 2 diabetes?" → "Metformin …"), else the document the topic question
  named or its answer cited ("who should not take Metformin?"), so the follow-up's own aspect leads
  retrieval;
- any other follow-up ("and for children?") is asked after the topic question ("What is the usual dose
  of metformin? — and for children?"), which keeps the topic's aspect too.

The page keeps the topic and subject per session; the API, which gets only the messages, replays them
from the user's turns and the assistant's replies (`question_from_turns`), by the same rules.
Deterministic, so an evaluation or an audit can replay the same conversation and get the same question."""

from __future__ import annotations

import re
from typing import Callable

from assistant.core.text import CITATION, content_words, split_sentences
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


# A question asking for a thing by its kind ("Which medicine is used first …?", "Who may terminate …?"):
# its answer names the thing, and that name is what a later "it" points back to.
_ASKS_FOR_NAME = re.compile(r"^\s*(?:who|whom|which\b|what\s+(?!is\b|are\b|was\b|were\b|does\b|do\b|did\b|"
                            r"can\b|should\b|will\b|would\b|has\b|have\b|happens\b)[a-z]+\s+"
                            r"(?:is|are|was|were|does|do|should|can|may|must|will)\b)", re.I)
# The answer's own subject: up to four words before its first verb ("Metformin is usually the first …").
_LEADING_NAME = re.compile(r"^\s*([A-Za-z][\w\-]*(?:\s+[\w\-]+){0,3}?)\s+(?:is|are|was|were|should|can|may|"
                           r"must|will|remains|has|have)\b")
_NOT_A_NAME = {"it", "this", "that", "these", "those", "they", "there", "the", "a", "an", "not", "no", "yes",
               "each", "either", "both", "neither"}


def named_in_answer(question: str, answer_text: str) -> str | None:
    """The thing a question that asks for one by its kind got as its answer: the answer's leading noun
    phrase when it is a new name (none of its words are the question's, it does not open with an article
    or pronoun); else None."""
    if not _ASKS_FOR_NAME.match(question):
        return None
    first = " ".join(CITATION.sub("", (split_sentences(answer_text) or [""])[0]).split()).rstrip(".! ")
    m = _LEADING_NAME.match(first)
    if m:
        name = m.group(1).strip()
    elif 0 < len(first.split()) <= 4 and not first.endswith("?"):
        name = first  # the answer is the name itself ("Metformin [1].")
    else:
        return None
    words = name.lower().split()
    if words[0] in _NOT_A_NAME or set(content_words(name)) & set(content_words(question)):
        return None
    return name


def subject_of(question: str, answer_text: str, titles: list[str] | tuple[str, ...] = ()) -> str | None:
    """What a standalone question is about, for a later pronoun to point at: the name its answer gave
    when it asked for one ("which medicine …?" → "Metformin"; None when the answer names nothing new),
    else the one of `titles` (the documents it was cited) the question names, else the single document
    all of them are; None when that is unclear (then follow-ups repeat the question). Page and API call
    this with the same text."""
    if _ASKS_FOR_NAME.match(question):
        # The cited document is where the name was found, not the name ("which medicine is used first
        # for type 2 diabetes?" cites the diabetes leaflet): no name, no subject.
        return named_in_answer(question, answer_text)
    titles = list(dict.fromkeys(t for t in titles if t))
    focus = title_focus(question, titles).titles
    if len(focus) == 1:
        return next(t for t in titles if title_key(t) in focus)
    return titles[0] if len(titles) == 1 and not focus else None


def answer_titles(answer: Answer) -> list[str]:
    return [c.chunk.title for c in answer.citations if c.chunk.title]


def question_from_turns(user_turns: list[str], answers: list[str] | tuple[str, ...] = (),
                        titles_for: Callable[[str], list[str]] | None = None) -> str:
    """The question to ask for the last of `user_turns` (the user's messages, oldest first), the earlier
    ones replayed through `contextual_question` to find the topic. The topic's subject comes from
    `subject_of` as on the page: `answers[i]` is the reply that followed user turn i (the API's
    assistant messages), and `titles_for(topic)` the document titles the caller would be cited for it
    (the page has the answer's citations; the API searches with the caller's own filters)."""
    pairs = [(" ".join(t.split()), answers[i] if i < len(answers) else "") for i, t in enumerate(user_turns)]
    pairs = [(t, a) for t, a in pairs if t]
    if not pairs:
        raise ValueError("question_from_turns: expected at least one non-empty user message, found none")
    topic, reply = None, ""
    for turn, answer in pairs[:-1]:
        _, new_topic = contextual_question(turn, topic)
        if new_topic != topic:
            topic, reply = new_topic, answer
    last = pairs[-1][0]
    if topic is None or not is_follow_up(last):
        return contextual_question(last, topic)[0]
    subject = subject_of(topic, reply, titles_for(topic) if titles_for else ())
    return contextual_question(last, topic, subject)[0]
