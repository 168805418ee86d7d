"""The CLI's warm path: `assistant ask` / `search` on a KB that `assistant serve` is serving go to that
server (no model loading), with the same answer shape; a stale note is ignored."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from assistant.apps.local_server import NOTE, find
from assistant.pipeline import audit_path
from assistant.reliability.audit import AuditLog
from tests.conftest import free_port

pytestmark = pytest.mark.slow
QUESTION = "How long does the customer have to pay an invoice under the master services agreement?"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def served(demo_kb_path, tmp_path_factory):
    kb = tmp_path_factory.mktemp("warm") / "kb"
    shutil.copytree(demo_kb_path, kb, ignore=shutil.ignore_patterns(".lock", "audit.sqlite*", NOTE))
    port = free_port()
    log = (kb.parent / "server.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--kb", str(kb), "--port", str(port)],
                            stdout=log, stderr=subprocess.STDOUT)
    deadline = time.time() + 300
    while find(kb) is None:
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"server did not start: {(kb.parent / 'server.log').read_text()}")
        time.sleep(1)
    yield kb, f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=60)
    log.close()
    assert not (kb / NOTE).exists()  # a server that stops takes its note away


def test_ask_and_search_go_to_the_running_server(served):
    kb, url = served
    note = kb / NOTE
    assert oct(note.stat().st_mode & 0o777) == "0o600"  # the token is its owner's only
    done = _cli("ask", QUESTION, "--kb", str(kb), "--json", "--user", "carol")
    assert done.returncode == 0, done.stderr
    d = json.loads(done.stdout)
    assert d["served_by"] == url and d["timings"]["load"] == 0.0 and d["timings"]["total"] > 0
    assert not d["abstained"] and "45 days" in d["answer"]
    assert {c["doc_id"] for c in d["citations"]} == {"legal/services-agreement.md"}
    assert [r.user for r in AuditLog(audit_path(kb)).read()][:1] == ["carol"]
    text = _cli("ask", QUESTION, "--kb", str(kb))
    assert text.returncode == 0 and "45 days" in text.stdout and "[1] " in text.stdout
    found = _cli("search", "invoice payment terms", "--kb", str(kb), "-k", "3", "--json")
    hits = json.loads(found.stdout)["hits"]
    assert found.returncode == 0 and len(hits) == 3 and hits[0]["doc_id"] == "legal/services-agreement.md"
    # A question the server refuses is the same usage error as in-process, not a fallback.
    empty = _cli("ask", "   ", "--kb", str(kb))
    assert empty.returncode == 2 and "empty" in empty.stderr


def test_a_stale_or_foreign_note_is_ignored(tmp_path):
    (tmp_path / NOTE).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": os.getpid(), "token": "x"}))
    assert find(tmp_path) is None  # alive pid, nothing listening
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / NOTE).write_text(json.dumps({"url": "http://127.0.0.1:9", "pid": dead.pid, "token": "x"}))
    assert find(tmp_path) is None
    (tmp_path / NOTE).write_text("{not json")
    assert find(tmp_path) is None


def test_the_local_token_is_refused_by_another_server(served):
    kb, url = served
    request = urllib.request.Request(f"{url}/v1/search", json.dumps({"query": "invoice", "k": 1}).encode(),
                                     {"Content-Type": "application/json", "Authorization": "Bearer not-the-token"})
    with urllib.request.urlopen(request, timeout=60) as response:  # no users file: any local caller may search
        assert response.status == 200
