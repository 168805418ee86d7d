"""Follow-up questions in a conversation, resolved without a model: retrieval and the generator see one
self-contained question, so a short follow-up that leans on the previous one ("and its side effects?")
is asked together with that previous question. Deterministic, so the same conversation always asks
the same question (and an evaluation or an audit can reproduce it)."""

from __future__ import annotations

import re

FOLLOW_UP_MAX_WORDS = 12
# Words that point back at something named earlier, and openings that continue an earlier question.
_REFERRING = {"it", "its", "it's", "they", "them", "their", "theirs", "this", "that", "these", "those", "he",
              "she", "him", "her", "his", "hers", "there", "same", "such", "former", "latter"}
_OPENINGS = ("and ", "also ", "what about ", "how about ", "what if ", "then ", "so ", "but ")
_WORD = re.compile(r"[A-Za-z']+")


def is_follow_up(question: str) -> bool:
    """A short question that opens like a continuation or refers back with a pronoun."""
    words = [w.lower() for w in _WORD.findall(question)]
    if not words or len(words) > FOLLOW_UP_MAX_WORDS:
        return False
    return question.strip().lower().startswith(_OPENINGS) or any(w in _REFERRING for w in words)


def contextual_question(user_turns: list[str]) -> str:
    """The question to ask for the last of `user_turns` (the user's messages, oldest first): the last one
    alone, or, when it is a follow-up, the user's previous question followed by it."""
    if not user_turns:
        raise ValueError("contextual_question: expected at least one user message, found none")
    last = user_turns[-1].strip()
    earlier = [t.strip() for t in user_turns[:-1] if t.strip()]
    if earlier and is_follow_up(last):
        return f"{earlier[-1]} {last}"
    return last
