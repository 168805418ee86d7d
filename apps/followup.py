"""Follow-up questions in a conversation. "And for children?" or "Is it safe in pregnancy?" say
nothing retrieval could find on their own: the topic is in the question before. Such a follow-up is
asked as the topic question and the follow-up together ("What is the usual dose of metformin? — and for
children?"), which both the retriever and the generator read. Deterministic rules, no model: the page
shows the question as it was asked, so a wrong guess is visible and the user can rephrase."""

from __future__ import annotations

import re

from assistant.query import focus_terms

# Openings that only make sense after another question.
_CONTINUATION = re.compile(r"^\s*(?:and|also|but|or|then|so|what about|how about|what if|and what about|"
                           r"and how about|same for|what else|anything else)\b", re.I)
# Words that point back at something named earlier.
_REFERENCE = re.compile(r"\b(?:it|its|they|them|their|this|that|these|those|he|she|his|her|there|the same)\b", re.I)
MAX_OWN_TERMS = 3  # a question with more content words of its own than this names its topic itself


def is_follow_up(question: str) -> bool:
    terms = focus_terms(question)
    if _CONTINUATION.match(question):
        return True
    return len(terms) <= 1 or (len(terms) <= MAX_OWN_TERMS and bool(_REFERENCE.search(question)))


def contextual_question(question: str, topic: str | None) -> tuple[str, str]:
    """(the question to ask the pipeline, the topic question for the next turn). `topic` is the last
    question that stood on its own; chained follow-ups all attach to it, not to each other, so the
    question asked never grows with the conversation."""
    question = " ".join(question.split())
    if not topic or not is_follow_up(question):
        return question, question
    return f"{topic.rstrip()} — {question}", topic
