"""One process serves the web page and the API (apps/api.py, under /v1): a FastAPI app with the Gradio page mounted at "/".

With a users file (`--users`), the page asks for a login (checked against the file's scrypt hashes)
and every request runs under the user's ACL groups; without one it is a single-user local tool: no
login, no ACL check, so only ever bind it to loopback then."""

from __future__ import annotations

import sys
from pathlib import Path

from assistant.kb import KnowledgeBase
from assistant.pipeline import Assistant
from assistant.settings import Settings
from assistant.users import UserStore


def create_server(assistant: Assistant, users: UserStore | None = None, reports: str | Path | None = None,
                  kb_root: str | Path | None = None, limits=None):
    """`kb_root`: where the page's Knowledge base tab lists and creates KBs. `limits`: apps.limits.ApiLimits
    (body sizes, upload sizes, the answer queue); default when None."""
    import gradio as gr
    from fastapi import FastAPI

    from .api import add_api
    from .limits import ApiLimits
    from .render import CSS
    from .web import CLICK_JS, build_app

    api = FastAPI(title="Domain assistant", version="1",
                  description="Cited, verified answers from your own documents.")

    @api.get("/health")
    def health() -> dict:
        documents, chunks = assistant.kb.catalog.counts()
        return {"status": "ok", "documents": documents, "chunks": chunks}

    add_api(api, assistant, users, limits or ApiLimits())

    page = build_app(assistant, reports, users, kb_root)
    # One answer at a time: generation already uses every core; more requests wait in the queue.
    page.queue(default_concurrency_limit=1, max_size=64)
    auth = (lambda name, password: users.authenticate(name, password) is not None) if users else None
    return gr.mount_gradio_app(api, page, path="/", auth=auth, auth_message="Sign in with your assistant account.",
                               css=CSS, js=CLICK_JS, footer_links=[],
                               allowed_paths=[str(Path(reports).resolve())] if reports else None)


def serve(kb_path: str, settings: Settings | None = None, *, host: str = "127.0.0.1", port: int = 7860,
          reports: str | None = None, users: str | None = None, kb_root: str | None = None) -> None:
    import uvicorn

    settings = settings or Settings.load()
    store = UserStore(users) if users else None
    if store is not None and len(store) == 0:
        print(f"warning: users file {users} has no users yet; add one with `assistant users --file {users} add NAME`",
              file=sys.stderr)
    assistant = Assistant(KnowledgeBase(kb_path, settings))
    print("loading models …", file=sys.stderr)
    assistant.warm_up()
    app = create_server(assistant, store, reports, kb_root)
    print(f"serving {kb_path} on http://{host}:{port} (API under /v1, docs at /docs)", file=sys.stderr)
    uvicorn.run(app, host=host, port=port, log_level="warning")
