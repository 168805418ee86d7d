"""The CLI's warm path. `assistant serve` leaves a note in the KB folder (`.server.json`: its URL, pid and
a per-process token, readable by its owner only); `assistant ask` / `search` on the same KB find it and
send the question to the running server instead of loading the models again (45-100 s a question on a
busy 2-core machine, most of it loading). The server answers with the same core function the page and
the API use, so the answer is the one the page would show.

The token makes the CLI the server's *local* caller (every document, like the CLI reading the KB
itself): whoever can read the note can read the KB's files anyway, so it grants nothing new. The
note is removed when the server stops; a stale one (killed server, other machine) is ignored after a
pid check and a 2-second /health probe, and the CLI then loads the models itself."""

from __future__ import annotations

import atexit
import json
import os
import secrets
import signal
import sys
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

NOTE = ".server.json"
AS_USER = "X-Assistant-As"  # the name the local caller asks as, for the audit log (honoured with the token only)
PROBE_S = 2.0


class ServerGone(Exception):
    """The noted server did not answer as expected: the caller falls back to loading the models itself."""


@dataclass(frozen=True)
class Endpoint:
    url: str  # http://127.0.0.1:7860
    token: str
    pid: int

    def post(self, path: str, body: dict, user: str | None = None, timeout: float = 900.0) -> dict:
        headers = {"Content-Type": "application/json", "Authorization": f"Bearer {self.token}"}
        if user:
            headers[AS_USER] = user
        request = urllib.request.Request(self.url + path, json.dumps(body).encode("utf-8"), headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            try:
                message = json.loads(detail)["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = detail[:300]
            if exc.code in (400, 404, 413, 422):  # the request itself was refused: say so, as in-process would
                raise ValueError(message) from None
            raise ServerGone(f"{self.url} answered {exc.code}: {message}") from None
        except (OSError, ValueError) as exc:
            raise ServerGone(f"{self.url} did not answer: {exc}") from None


def publish(kb_path: str | Path, url: str) -> str:
    """Writes the note (mode 0600) and returns the token; the note goes when this process exits."""
    token = secrets.token_urlsafe(32)
    note = Path(kb_path) / NOTE
    tmp = note.with_name(f"{NOTE}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump({"url": url, "pid": os.getpid(), "token": token}, f)
    os.replace(tmp, note)
    atexit.register(_withdraw, note, token)
    if threading.current_thread() is threading.main_thread():
        # uvicorn re-raises the SIGTERM it shut down on; with the default handler the process would die
        # there without running atexit, leaving the note behind. Exiting via SystemExit runs it.
        signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))
    return token


def _withdraw(note: Path, token: str) -> None:
    try:
        if json.loads(note.read_text(encoding="utf-8")).get("token") == token:  # not a newer server's note
            note.unlink()
    except (OSError, ValueError):
        pass


def find(kb_path: str | Path) -> Endpoint | None:
    """The server noted for this KB when it is alive and answering, else None."""
    try:
        data = json.loads((Path(kb_path) / NOTE).read_text(encoding="utf-8"))
        endpoint = Endpoint(str(data["url"]).rstrip("/"), str(data["token"]), int(data["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        os.kill(endpoint.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, another user's process: the probe decides
    try:
        with urllib.request.urlopen(endpoint.url + "/health", timeout=PROBE_S) as response:
            return endpoint if response.status == 200 else None
    except (OSError, ValueError):
        return None
