"""The Gradio web page: ask a question, read the verified answer, open the passages it cites."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import gradio as gr

from assistant.errors import AssistantError
from assistant.pipeline import Assistant
from assistant.users import UserStore

from .eval_tab import add_tab
from .render import answer_html, sources_html

# Clicking [n] highlights source n even where the browser does not scroll to the anchor by itself.
CLICK_JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a.cite');
    if (!a) return;
    ev.preventDefault();
    document.querySelectorAll('.source.active').forEach(el => el.classList.remove('active'));
    const target = document.getElementById('src-' + a.dataset.n);
    if (target) { target.classList.add('active'); target.scrollIntoView({behavior: 'smooth', block: 'center'}); }
  });
}
"""

INTRO = ("### Domain assistant\nAnswers come only from the documents in this knowledge base. Every sentence "
         "is checked against the passage it cites; when the documents do not answer, it says so.")


def build_app(assistant: Assistant, reports: str | Path | None = None, users: UserStore | None = None) -> gr.Blocks:
    """`reports`: a directory of `assistant eval` report folders, shown in an Evaluation tab. `users`: when
    given, the page is behind a login (see apps/server.py) and each request runs under the user's groups."""
    stats = assistant.kb.stats()
    adapters = assistant.adapter_choices()

    def ask(question: str, adapter: str | None = None, request: gr.Request = None):
        user = users.get(request.username) if users and request is not None and request.username else None
        if users is not None and user is None:
            raise gr.Error("Sign in first: this page answers only for known users.")
        try:
            answer = assistant.ask(question, filters=user.filters() if user else None, adapter=adapter,
                                   user=user.name if user else None)
        except AssistantError as exc:
            raise gr.Error(str(exc)) from None
        return answer_html(answer), sources_html(answer)

    with gr.Blocks(title="Domain assistant") as app:
        gr.Markdown(INTRO)
        gr.Markdown(f"Knowledge base: `{stats['path']}` — {stats['documents']} documents, {stats['chunks']} passages.",
                    elem_id="kb-stats")
        with gr.Tab("Ask") if reports else nullcontext(), gr.Row():
            with gr.Column(scale=3):
                question = gr.Textbox(label="Question", placeholder="e.g. How long must invoices be paid within?",
                                      elem_id="question", lines=2, max_length=4000)
                # Shown only when several adapters are loaded: the default picks by the passages' domain.
                adapter = gr.Dropdown(
                    [("auto: by the passages' domain", "auto"), ("base model", "base")] + [(a, a) for a in adapters],
                    value=_default_adapter(assistant), label="Adapter", elem_id="adapter", visible=bool(adapters))
                button = gr.Button("Ask", variant="primary", elem_id="ask")
                answer = gr.HTML("<div class='meta'>Ask a question to see a cited answer.</div>", elem_id="answer-panel")
            with gr.Column(scale=2):
                gr.Markdown("#### Sources")
                sources = gr.HTML("", elem_id="sources-panel")
        button.click(ask, inputs=[question, adapter], outputs=[answer, sources])
        question.submit(ask, inputs=[question, adapter], outputs=[answer, sources])
        if reports:
            add_tab(reports)
    return app


def _default_adapter(assistant: Assistant) -> str:
    default = getattr(assistant.generator, "default", None)
    return default if default in assistant.adapter_choices() or default == "base" else "auto"
