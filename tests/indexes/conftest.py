"""A real Chroma server for the chroma-server backend: $ASSISTANT_TEST_CHROMA_URL when set (CI starts one
with .ci/chroma.sh), else a `chroma run` started here on a free loopback port and stopped after the session.
Without the `chroma` CLI the server tests skip, except under CI (env CI set), where they fail."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from tests.conftest import free_port  # noqa: F401  (re-exported for the index tests)

START_TIMEOUT_S = 60.0


def heartbeat(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/api/v2/heartbeat", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def chroma_cli() -> str | None:
    # The venv's bin/ is often not on PATH when pytest is run as .venv/bin/python -m pytest.
    beside = Path(sys.executable).parent / "chroma"
    return shutil.which("chroma") or (str(beside) if beside.exists() else None)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"CI is set, so the Chroma server tests must run: {reason}")
    pytest.skip(reason)


def require_chromadb() -> None:
    try:
        import chromadb  # noqa: F401
    except ImportError:
        _unavailable("chromadb is not installed; pip install 'chromadb>=1.0,<2' to run the Chroma backends")


@pytest.fixture(scope="session")
def chroma_server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    require_chromadb()
    url = os.environ.get("ASSISTANT_TEST_CHROMA_URL", "").strip()
    if url:
        if not heartbeat(url, timeout=10):
            pytest.fail(f"ASSISTANT_TEST_CHROMA_URL={url} does not answer /api/v2/heartbeat; start the server "
                        "(.ci/chroma.sh) or unset the variable to let the tests start their own")
        yield url
        return
    cli = chroma_cli()
    if cli is None:
        _unavailable("no `chroma` CLI on PATH or beside the Python executable; pip install chromadb, or set "
                     "ASSISTANT_TEST_CHROMA_URL to a running server")
    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log_path = data / "server.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen([cli, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not heartbeat(url, timeout=1):
            if process.poll() is not None or time.monotonic() > deadline:
                tail = log_path.read_text(errors="replace")[-2000:]
                _unavailable(f"`chroma run` on {url} did not answer within {START_TIMEOUT_S:.0f} s "
                             f"(exit code {process.poll()}); its log ends:\n{tail}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
