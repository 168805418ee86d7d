"""The API as an attacker or a careless client uses it, on real servers on loopback: no form field
writes outside the KB, pages of other sites cannot change a local server, roles limit who changes
what, nothing tells a caller that a hidden document exists, and every error has the OpenAI shape."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

from assistant.apps.api import add_api
from assistant.apps.origin import SameOrigin
from assistant.core.types import SearchFilter
from assistant.pipeline import Assistant
from tests.apps.api_fixtures import api_kb, api_users, bearer  # noqa: F401 - fixtures

NOTE = b"# Ward 9\n\nWard 9 serves lunch at half past twelve."


@pytest.fixture(scope="module")
def local_url(http_server, api_kb):
    """A server without a users file (as `make demo` runs): no key, every caller trusted, origin checked."""
    app = FastAPI()
    add_api(app, Assistant(api_kb))
    app.add_middleware(SameOrigin)
    return http_server(app)


@pytest.fixture(scope="module")
def url(http_server, api_kb, api_users):
    app = FastAPI()
    add_api(app, Assistant(api_kb), api_users[0])
    app.add_middleware(SameOrigin)
    return http_server(app)


def _tree(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.mark.parametrize("groups", ["../../escape", "/tmp/escape-abs", "..", "a/../../b", "nurses,../x", "~public"])
def test_a_hostile_groups_field_writes_nothing_anywhere(local_url, api_kb, tmp_path_factory, groups):
    outside = api_kb.path.parent
    before = _tree(outside)
    reply = httpx.post(f"{local_url}/v1/documents", files=[("files", ("notes.md", NOTE))], data={"groups": groups})
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["param"] == "groups" and "expected 1-64 letters" in error["message"]
    assert _tree(outside) == before and not Path("/tmp/escape-abs").exists()


def test_pages_of_other_sites_cannot_change_a_local_server(local_url):
    form = {"files": ("notes.md", NOTE)}
    for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                    {"Referer": "https://evil.example/page.html"}, {"Sec-Fetch-Site": "cross-site"}):
        refused = httpx.post(f"{local_url}/v1/documents", files=form, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "cross_origin", headers
        gone = httpx.delete(f"{local_url}/v1/documents/health/metformin.md", headers=headers)
        assert gone.status_code == 403
    assert "health/metformin.md" in [d["id"] for d in httpx.get(f"{local_url}/v1/documents").json()["data"]]
    # Reads from anywhere, and changes from the server's own page or from a program, go through.
    assert httpx.get(f"{local_url}/v1/documents", headers={"Origin": "https://evil.example"}).status_code == 200
    own = httpx.post(f"{local_url}/v1/documents", files=form, headers={"Origin": local_url})
    assert own.status_code == 200 and own.json()["documents_added"] + own.json()["documents_unchanged"] == 1


def test_roles_limit_who_changes_which_documents(url, api_users):
    keys = api_users[1]
    alice, rhea, ada, bob = (httpx.Client(base_url=url, headers=bearer(keys[n]), timeout=60)
                             for n in ("alice", "rhea", "ada", "bob"))
    assert alice.post("/v1/documents", files=[("files", ("ward9.md", NOTE))]).json()["documents_added"] == 1
    # rhea reads the nurses' documents but may neither add, replace nor delete one
    assert "uploads/nurses/ward9.md" in [d["id"] for d in rhea.get("/v1/documents").json()["data"]]
    added = rhea.post("/v1/documents", files=[("files", ("ward9.md", b"# Ward 9\n\nLunch is cancelled."))])
    assert added.status_code == 403 and added.json()["error"]["code"] == "read_only"
    deleted = rhea.delete("/v1/documents/uploads/nurses/ward9.md")
    assert deleted.status_code == 403 and deleted.json()["error"]["code"] == "read_only"
    # a shared public document: no editor deletes it or takes it over; an admin may
    public = alice.delete("/v1/documents/health/metformin.md")
    assert public.status_code == 403 and "only an admin" in public.json()["error"]["message"]
    takeover = alice.post("/v1/documents", json={"documents": [{"id": "health/metformin.md", "text": "Mine now."}]})
    assert takeover.json()["ids"] == ["uploads/nurses/health/metformin.md"]
    assert "health/metformin.md" in [d["id"] for d in bob.get("/v1/documents").json()["data"]]  # still public
    assert ada.post("/v1/documents", json={"documents": [{"id": "notes/admin", "text": "An admin memo."}],
                                           "groups": ["paralegals"]}).status_code == 200
    assert alice.delete("/v1/documents/uploads/nurses/ward9.md").status_code == 200


def test_health_counts_only_what_the_caller_may_see(url, api_users, api_kb):
    everything = api_kb.catalog.counts()
    public = httpx.get(f"{url}/health").json()
    bob = httpx.get(f"{url}/health", headers=bearer(api_users[1]["bob"])).json()
    assert public["documents"] == api_kb.catalog.counts(SearchFilter(groups=()))[0]
    assert public["documents"] <= bob["documents"] <= everything[0]
    secret = httpx.post(f"{url}/v1/documents", headers=bearer(api_users[1]["bob"]),
                        json={"documents": [{"text": "Paralegal-only memo on the quokka lease."}]})
    assert secret.status_code == 200
    assert httpx.get(f"{url}/health").json()["documents"] == public["documents"]  # the hidden one is not counted
    assert httpx.get(f"{url}/health", headers=bearer("sk-da-wrong")).status_code == 401


def test_unknown_routes_methods_and_malformed_requests_answer_in_one_shape(local_url):
    for method, path, status in (("GET", "/v1/nothing", 404), ("POST", "/v1/chat/nothing", 404),
                                 ("GET", "/v1/search", 405), ("PUT", "/v1/documents", 405)):
        reply = httpx.request(method, f"{local_url}{path}")
        assert reply.status_code == status, (method, path, reply.text)
        assert set(reply.json()["error"]) == {"message", "type", "param", "code"}
    broken = httpx.post(f"{local_url}/v1/search", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and "error" in broken.json()
    # A request uvicorn itself refuses (invalid header): still the JSON error shape.
    host, port = local_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as raw:
        raw.sendall(b"GET /v1/models HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n")
        reply = b""
        while chunk := raw.recv(4096):
            reply += chunk
    head, _, body = reply.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400") and b"application/json" in head
    assert b'"type": "invalid_request_error"' in body and b"malformed HTTP request" in body


def test_hostile_text_records_cost_one_error_each_and_the_good_one_lands(local_url, api_kb):
    body = {"documents": [{"id": "notes/\u202eevil", "text": "A bidi override in the id."},
                          {"id": "notes/fields", "text": "Ward 11 opens at seven.",
                           "metadata": {"page_starts": "x", "structure": 7, "date": "2024-02-01"}},
                          {"id": "notes/bad-date", "text": "A date of the wrong type.", "metadata": {"date": True}}]}
    reply = httpx.post(f"{local_url}/v1/documents", json=body)
    assert reply.status_code == 200, reply.text
    report = reply.json()
    assert report["documents_added"] == 1 and len(report["errors"]) == 2
    assert any("U+202E" in e["error"] for e in report["errors"]) and any("date" in e["error"] for e in report["errors"])
    stored = api_kb.catalog.document("notes/fields")
    assert stored is not None and stored.date == "2024-02-01"  # the filter field kept its place; the rest is user data


def test_the_servers_limits_decide_not_a_second_copy_in_the_schema(local_url):
    many = httpx.post(f"{local_url}/v1/documents", json={"documents": [{"text": f"Note {i}."} for i in range(65)]})
    assert many.status_code == 422 and many.json()["error"]["param"] == "documents"
    assert "at most 64 documents" in many.json()["error"]["message"]
    deep = httpx.post(f"{local_url}/v1/search", json={"query": "metformin", "k": 51})
    assert deep.status_code == 422 and deep.json()["error"]["param"] == "k"
