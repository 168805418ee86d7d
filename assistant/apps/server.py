"""One process serves the web page and the API (assistant/apps/api.py, under /v1): a FastAPI app with the Gradio page mounted at "/".

With a users file (`--users`), the page asks for a login (checked against the file's scrypt hashes)
and every request runs under the user's ACL groups; without one it is a single-user local tool: no
login, no ACL check, so only ever bind it to loopback then."""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path
from typing import Sequence

from assistant.apps.local_server import publish
from assistant.core.errors import AssistantError
from assistant.core.settings import Settings
from assistant.core.users import UserStore
from assistant.ingest.kb import KnowledgeBase
from assistant.pipeline import Assistant


class ServeRefused(AssistantError):
    """A serve setting that would expose the KB: a usage error (exit 2)."""


def create_server(assistant: Assistant, users: UserStore | None = None, reports: str | Path | None = None,
                  kb_root: str | Path | None = None, limits=None, allow_origins: Sequence[str] = (),
                  local_token: str | None = None):
    """`kb_root`: where the page's Knowledge base tab lists and creates KBs. `limits`: apps.limits.ApiLimits
    (body sizes, upload sizes, the answer queue); default when None. `allow_origins`: other sites whose
    pages may send changes (see assistant/apps/origin.py); the server's own page always may."""
    import gradio as gr
    from fastapi import FastAPI

    from assistant.apps.api import add_api
    from assistant.apps.limits import ApiLimits
    from assistant.apps.origin import SameOrigin
    from assistant.apps.render import CSS
    from assistant.apps.web import CLICK_JS, build_app

    api = FastAPI(title="Domain assistant", version="1",
                  description="Cited, verified answers from your own documents.")

    add_api(api, assistant, users, limits or ApiLimits(), local_token)
    api.add_middleware(SameOrigin, allowed=allow_origins)  # the page's routes and the API's alike

    page = build_app(assistant, reports, users, kb_root)
    # One answer at a time: generation already uses every core; more requests wait in the queue.
    page.queue(default_concurrency_limit=1, max_size=64)
    auth = (lambda name, password: users.authenticate(name, password) is not None) if users else None
    return gr.mount_gradio_app(api, page, path="/", auth=auth, auth_message="Sign in with your assistant account.",
                               css=CSS, js=CLICK_JS, footer_links=[],
                               allowed_paths=[str(Path(reports).resolve())] if reports else None)


def uvicorn_config(app, host: str, port: int):
    """How the servers run the app (the tests too): uvicorn, with its own 400s in the API's error shape."""
    import uvicorn

    from assistant.apps.http_protocol import protocol

    return uvicorn.Config(app, host=host, port=port, log_level="warning", http=protocol())


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return host == "localhost"


def serve(kb_path: str, settings: Settings | None = None, *, host: str = "127.0.0.1", port: int = 7860,
          reports: str | None = None, users: str | None = None, kb_root: str | None = None,
          allow_origins: Sequence[str] = (), open_network: bool = False) -> None:
    import uvicorn

    if users is None and not is_loopback(host) and not open_network:
        # Without a users file every caller may read and change everything: on a network that is anyone.
        raise ServeRefused(f"--host {host}: without --users the server has no login and no ACL, so it binds "
                           "loopback only (127.0.0.1); add --users FILE, or pass --open-to-network to serve "
                           "everyone who can reach this address")
    settings = settings or Settings.load()
    store = UserStore(users) if users else None
    if store is not None and len(store) == 0:
        print(f"warning: users file {users} has no users yet; add one with `assistant users --file {users} add NAME`",
              file=sys.stderr)
    assistant = Assistant(KnowledgeBase(kb_path, settings))
    assistant.warm_up(lambda line: print(line, file=sys.stderr, flush=True))
    # The note that lets `assistant ask` / `search` on this KB use this server (apps/local_server.py).
    local = "127.0.0.1" if host in ("0.0.0.0", "::", "") else (f"[{host.strip('[]')}]" if ":" in host else host)
    token = publish(kb_path, f"http://{local}:{port}")
    app = create_server(assistant, store, reports, kb_root, allow_origins=allow_origins, local_token=token)
    print(f"serving {kb_path} on http://{host}:{port} (API under /v1, docs at /docs)", file=sys.stderr)
    uvicorn.Server(uvicorn_config(app, host, port)).run()
