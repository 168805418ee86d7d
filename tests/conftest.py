"""Shared fixtures: the bundled models are real and loaded once per test session."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from assistant.core.settings import Settings
from assistant.core.types import Generator
from assistant.demo import QUESTIONS, ensure_demo_kb
from assistant.embedding.embedder import Embedder
from assistant.ingest.kb import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
ARTIFACTS = ROOT / "test-artifacts"


def free_port() -> int:
    """A TCP port nothing listens on right now, on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def shared_data(relative: str) -> Path:
    """A path under ../shared/data, or skip: the public datasets live beside the checkout, never in it."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"needs {path} (public dev datasets beside the checkout); absent on this machine")
    return path


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def embedder(settings) -> Embedder:
    e = Embedder(settings.embedding)
    e.warm_up()
    return e


@pytest.fixture(scope="session")
def demo_kb_path(tmp_path_factory, settings, embedder) -> Path:
    path = tmp_path_factory.mktemp("demo") / "kb"
    ensure_demo_kb(path, settings).close()
    return path


@pytest.fixture(scope="session")
def demo_kb(demo_kb_path, settings, embedder) -> KnowledgeBase:
    return KnowledgeBase(demo_kb_path, settings, embedder=embedder)


@pytest.fixture(scope="session")
def demo_questions() -> list[dict]:
    return [json.loads(line) for line in QUESTIONS.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="session")
def assistant(demo_kb):
    from assistant.pipeline import Assistant

    a = Assistant(demo_kb)
    a.warm_up()
    return a


@pytest.fixture
def new_kb(tmp_path, settings, embedder):
    def make(name: str = "kb") -> KnowledgeBase:
        return KnowledgeBase(tmp_path / name, settings, create=True, embedder=embedder)
    return make


@pytest.fixture(scope="module")
def http_server():
    """Runs an ASGI app with uvicorn on a free loopback port in a thread: `url = http_server(app)`.
    Servers stop when the module's tests are done."""
    uvicorn = pytest.importorskip("uvicorn")
    import threading
    import time

    servers = []

    def start(app) -> str:
        port = free_port()
        from assistant.apps.server import uvicorn_config  # as `assistant serve` runs it

        server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.time() + 30
        while not server.started and time.time() < deadline:
            time.sleep(0.05)
        assert server.started, "uvicorn did not start within 30 s"
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(timeout=10)


class Canned(Generator):
    """A user's own generator that always writes the same text (to control what the checks see)."""

    name = "canned"

    def __init__(self, text: str) -> None:
        self.text = text

    def warm_up(self) -> None: ...

    def generate(self, question, hits) -> str:
        return self.text
