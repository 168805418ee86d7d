"""The Ask tab: a conversation whose answers stream in as the model writes them (shown as a draft:
nothing is an answer until every sentence has been checked), then the verified answer with verdict
badges and clickable [n], the cited passages with their supporting sentences highlighted, and
thumbs up/down with a comment on the latest answer."""

from __future__ import annotations

import queue
import threading
import time
from typing import Iterator

import gradio as gr

from assistant.apps.access import current_user
from assistant.apps.conversation import Session, Turn, conversation_html, latest_sources
from assistant.apps.kb_manager import KBManager
from assistant.apps.render import LEGEND
from assistant.core.errors import AssistantError
from assistant.core.text import MAX_QUESTION_CHARS, check_question
from assistant.core.users import UserStore, filters_for
from assistant.followup import answer_titles, contextual_question, subject_of
from assistant.pipeline import EVENT_TEXT

DRAFT_REFRESH_S = 0.25  # how often the streamed draft is re-sent to the browser


class ChatTab:
    """Builds the tab inside a gr.Blocks; `conversation`, `sources` and `feedback_status` are what the
    Knowledge base tab resets when a session switches KB."""

    def __init__(self, manager: KBManager, users: UserStore | None, session: gr.State) -> None:
        self.manager, self.users, self.session = manager, users, session
        served = manager.served
        adapters = served.adapter_choices()
        with gr.Row():
            with gr.Column(scale=3):
                # The conversation scrolls in its own box, kept at its newest turn (Gradio's autoscroll), so
                # the page does not grow with it and the Sources panel beside it stays in view.
                self.conversation = gr.HTML(conversation_html([]), elem_id="conversation", max_height="60vh",
                                            autoscroll=True)
                question = gr.Textbox(label="Question", placeholder="e.g. How long must invoices be paid within?",
                                      elem_id="question", lines=2, max_length=MAX_QUESTION_CHARS)
                # A question the pipeline refuses (empty, too long) is said here, calmly: raising gr.Error
                # put "Error" over every panel and a traceback in the server's console.
                self.status = gr.Markdown("", elem_id="ask-status")
                with gr.Row():
                    # Shown only when several adapters are loaded: the default picks by the passages' domain.
                    adapter = gr.Dropdown(
                        [("auto: by the passages' domain", "auto"), ("base model", "base")] + [(a, a) for a in adapters],
                        value=_default_adapter(served), label="Adapter", elem_id="adapter", visible=bool(adapters))
                    ask = gr.Button("Ask", variant="primary", elem_id="ask", scale=2)
                    new = gr.Button("New conversation", elem_id="new-chat", scale=1)
                with gr.Row(elem_id="feedback-row"):
                    up = gr.Button("▲ Helpful", elem_id="thumbs-up", size="sm", scale=1)
                    down = gr.Button("▼ Not helpful", elem_id="thumbs-down", size="sm", scale=1)
                    comment = gr.Textbox(placeholder="Optional comment, sent with your rating",
                                         show_label=False, elem_id="feedback-comment", scale=4, max_length=4000)
                self.feedback_status = gr.Markdown("", elem_id="feedback-status")
                gr.HTML(LEGEND, elem_id="legend")
            with gr.Column(scale=2, elem_id="sources-column"):
                gr.Markdown("#### Sources")
                self.sources = gr.HTML("", elem_id="sources-panel", max_height="75vh")
        outputs = [self.conversation, self.sources, session, question, self.feedback_status, self.status]
        ask.click(self.ask, inputs=[question, adapter, session], outputs=outputs)
        question.submit(self.ask, inputs=[question, adapter, session], outputs=outputs)
        new.click(self.new_conversation, inputs=session, outputs=[self.conversation, self.sources, session,
                                                                  self.feedback_status])
        up.click(self.helpful, inputs=[comment, session], outputs=[self.feedback_status, comment])
        down.click(self.not_helpful, inputs=[comment, session], outputs=[self.feedback_status, comment])

    def ask(self, question: str, adapter: str | None, session: Session, request: gr.Request) -> Iterator[tuple]:
        user = current_user(self.users, request)
        try:
            check_question(question)  # the pipeline's own rule, before the draft panel appears
            assistant = self.manager.assistant(session.kb)
        except AssistantError as exc:
            yield gr.skip(), gr.skip(), session, gr.skip(), gr.skip(), _calm(exc)
            return
        asked, topic = contextual_question(question, session.topic, session.subject)
        events: queue.Queue = queue.Queue()
        result: dict = {}

        def work() -> None:
            try:
                result["answer"] = assistant.ask(asked, filters=filters_for(user), adapter=adapter,
                                                 user=user.name if user else None,
                                                 on_event=lambda kind, text: events.put((kind, text)))
            except Exception as exc:  # noqa: BLE001 - handed to the page's thread, which reports it
                result["error"] = exc
            finally:
                events.put(None)

        # The pipeline runs in a worker so this generator can send the draft while the model writes it.
        threading.Thread(target=work, name="ask", daemon=True).start()
        stage, draft, sent = "searching", "", 0.0
        yield conversation_html(session.turns, (question, asked, stage, draft)), "", session, gr.skip(), "", ""
        while (item := events.get()) is not None:
            kind, text = item
            draft, stage = (draft + text, stage) if kind == EVENT_TEXT else (draft, kind)
            if kind != EVENT_TEXT or time.monotonic() - sent >= DRAFT_REFRESH_S:
                sent = time.monotonic()
                yield conversation_html(session.turns, (question, asked, stage, draft)), "", session, gr.skip(), "", ""
        if "error" in result:
            error = result["error"]
            status = _calm(error) if isinstance(error, AssistantError) else ""
            yield conversation_html(session.turns), latest_sources(session.turns), session, gr.skip(), "", status
            if not isinstance(error, AssistantError):
                raise error
            return
        answer = result["answer"]
        session.turns.append(Turn(question, asked, answer, answer.evidence_by_citation()))
        if topic != session.topic:  # a question of its own: what it is about is what follow-ups refer to
            session.topic, session.subject = topic, subject_of(question, answer.text, answer_titles(answer))
        yield conversation_html(session.turns), latest_sources(session.turns), session, "", "", ""

    def new_conversation(self, session: Session):
        session.turns, session.topic, session.subject = [], None, None
        return conversation_html([]), "", session, ""

    def helpful(self, comment: str, session: Session, request: gr.Request):
        return self._feedback(1, comment, session, request)

    def not_helpful(self, comment: str, session: Session, request: gr.Request):
        return self._feedback(-1, comment, session, request)

    def _feedback(self, rating: int, comment: str, session: Session, request: gr.Request):
        user = current_user(self.users, request)
        if not session.turns:
            raise gr.Error("Ask a question first: feedback is about the latest answer.")
        try:
            number = self.manager.assistant(session.kb).feedback(session.turns[-1].answer, rating, comment or "",
                                                                 user.name if user else None)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        what = "helpful" if rating > 0 else "not helpful"
        extra = " with your comment" if (comment or "").strip() else ""
        return f"✓ Thank you: saved “{what}”{extra} for the latest answer (feedback #{number}).", ""


def _calm(exc: AssistantError) -> str:
    """A refused question as one line under the box: what was wrong and what to do."""
    text = str(exc)
    return f"✎ {text[:1].upper()}{text[1:]}."


def _default_adapter(assistant) -> str:
    default = assistant.generator.default_adapter
    return default if default in assistant.adapter_choices() or default == "base" else "auto"
