"""A conversation on the page: its turns (kept per browser session) and their HTML. The latest answer's
sources fill the Sources panel; earlier answers keep theirs in a fold under the answer, so every [n] on
the page still opens the passage it cited."""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from assistant.apps.render import answer_html, sources_html
from assistant.core.types import Answer

STAGES = {"searching": "Searching the knowledge base…", "generating": "Writing a draft…",
          "checking": "Checking every sentence against its sources…"}


@dataclass
class Turn:
    question: str  # as typed
    asked: str  # as asked: a follow-up with its topic (assistant/followup.py)
    answer: Answer
    support: dict[int, list[str]] = field(default_factory=dict)  # citation n → sentences to highlight


@dataclass
class Session:
    """One browser tab's state: its KB (None: the served one), its conversation and the topic that
    follow-ups attach to. Kept in gr.State, so one user switching KB or starting over leaves every
    other session as it was."""

    kb: str | None = None
    turns: list[Turn] = field(default_factory=list)
    topic: str | None = None
    subject: str | None = None  # the document the topic question is about (assistant/followup.py)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _question(question: str, asked: str) -> str:
    searched = f'<div class="searched">asked as: {_e(asked)}</div>' if asked != question else ""
    return f'<div class="asked">{_e(question)}</div>{searched}'


def conversation_html(turns: list[Turn], pending: tuple[str, str, str, str] | None = None) -> str:
    """All turns, the latest answer with the plain ids (`answer`, `src-n`) the Sources panel matches.
    `pending`: (question, asked, stage, draft text) of the question being answered."""
    if not turns and pending is None:
        return '<div class="empty-chat">Ask a question to see a cited answer. Follow-up questions ("and for ' \
               'children?") keep the topic of the question before.</div>'
    parts = []
    last = len(turns) - 1 if pending is None else len(turns)
    for i, turn in enumerate(turns):
        if i == last:
            parts.append(f'<div class="turn latest">{_question(turn.question, turn.asked)}'
                         f'{answer_html(turn.answer)}</div>')
            continue
        scope = f"t{i}-"
        sources = sources_html(turn.answer, turn.support, scope=scope)
        parts.append(f'<div class="turn past">{_question(turn.question, turn.asked)}'
                     f'{answer_html(turn.answer, scope=scope)}<details class="past-sources">'
                     f'<summary>Sources of this answer</summary>{sources}</details></div>')
    if pending is not None:
        question, asked, stage, draft = pending
        text = f'<div class="draft-text">{_e(draft)}</div>' if draft else ""
        parts.append(f'<div class="turn pending">{_question(question, asked)}<div class="draft" id="draft">'
                     f'<div class="stage">{_e(STAGES.get(stage, stage))}</div>{text}</div></div>')
    return "".join(parts)


def latest_sources(turns: list[Turn]) -> str:
    return sources_html(turns[-1].answer, turns[-1].support) if turns else ""
