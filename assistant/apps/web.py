"""The Gradio web page: ask questions in a conversation and read verified, cited answers (assistant/apps/chat.py),
manage the knowledge bases (assistant/apps/kb_tab.py) and read evaluation reports (assistant/apps/eval_tab.py)."""

from __future__ import annotations

from pathlib import Path

import gradio as gr

from assistant.apps.chat import ChatTab
from assistant.apps.conversation import Session
from assistant.apps.eval_tab import add_tab
from assistant.apps.kb_manager import KBManager
from assistant.apps.kb_tab import KBTab
from assistant.core.users import UserStore
from assistant.pipeline import Assistant

# Clicking [n] highlights its source even where the browser does not scroll to the anchor by itself,
# and opens the fold an earlier answer keeps its sources in.
CLICK_JS = """
() => {
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a.cite');
    if (!a) return;
    ev.preventDefault();
    document.querySelectorAll('.source.active').forEach(el => el.classList.remove('active'));
    const target = document.getElementById(a.dataset.target);
    if (!target) return;
    const fold = target.closest('details');
    if (fold) fold.open = true;
    target.classList.add('active');
    target.scrollIntoView({behavior: 'smooth', block: 'center'});
  });
}
"""

INTRO = ("### Domain assistant\nAnswers come only from the documents in this knowledge base. Every sentence "
         "is checked against the passage it cites; when the documents do not answer, it says so.")


def build_app(assistant: Assistant, reports: str | Path | None = None, users: UserStore | None = None,
              kb_root: str | Path | None = None) -> gr.Blocks:
    """`reports`: a directory of `assistant eval` report folders, shown in an Evaluation tab. `users`: when
    given, the page is behind a login (see assistant/apps/server.py) and everything runs under the user's groups.
    `kb_root`: the folder whose KB directories the page offers besides `assistant.kb` (default: its parent)."""
    manager = KBManager(assistant, kb_root)
    with gr.Blocks(title="Domain assistant") as app:
        session = gr.State(Session())
        gr.Markdown(INTRO)
        header = gr.Markdown("", elem_id="kb-stats")
        with gr.Tab("Ask", elem_id="ask-tab"):
            chat = ChatTab(manager, users, session)
        with gr.Tab("Knowledge base", elem_id="kb-tab"):
            kb_tab = KBTab(manager, users, session, chat, header)
        if reports:
            add_tab(reports)
        app.load(kb_tab.on_load, inputs=session, outputs=kb_tab.load_outputs())
    return app
