"""The API's search and documents routes on a real server on loopback, with two users of different groups:
what one uploads the other never sees, finds or deletes; keys, limits and the OpenAPI spec."""

from __future__ import annotations

import io
import zipfile

import httpx
import pytest
from fastapi import FastAPI

from assistant.apps.api import add_api
from assistant.apps.limits import ApiLimits
from assistant.pipeline import Assistant
from tests.apps.api_fixtures import api_kb, api_users, bearer  # noqa: F401 - fixtures

LIMITS = ApiLimits(body_bytes=64_000, upload_bytes=200_000, file_bytes=20_000, files=8, max_k=20)
QUOKKA = b"# Quokka care\n\nQuokkas in the ward garden are fed kale leaves at dawn and must never get bread."


@pytest.fixture(scope="module")
def url(http_server, api_kb, api_users):
    app = FastAPI()
    add_api(app, Assistant(api_kb), api_users[0], LIMITS)
    return http_server(app)


@pytest.fixture(scope="module")
def as_user(url, api_users):
    def client(name: str) -> httpx.Client:
        return httpx.Client(base_url=url, headers=bearer(api_users[1][name]), timeout=60)
    return client


def _ids(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [d["id"] for d in response.json()["data"]]


def test_keys_are_required_and_checked(url, as_user):
    missing = httpx.get(f"{url}/v1/documents")
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key" and "Bearer" in missing.json()["error"]["message"]
    wrong = httpx.post(f"{url}/v1/search", json={"query": "metformin"}, headers=bearer("sk-da-not-a-key"))
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    assert as_user("alice").post("/v1/search", json={"query": "metformin", "k": 3}).status_code == 200


def test_upload_is_visible_to_its_groups_only(as_user):
    alice, bob, dana = as_user("alice"), as_user("bob"), as_user("dana")
    report = alice.post("/v1/documents", files=[("files", ("quokka.md", QUOKKA)),
                                                ("files", ("tool.exe", b"MZ\x90\x00binary"))]).json()
    assert report["documents_added"] == 1 and report["chunks_added"] >= 1
    assert [e["source"] for e in report["errors"]] == ["tool.exe"] and "unsupported" in report["errors"][0]["error"]

    listed = {d["id"]: d for d in alice.get("/v1/documents").json()["data"]}
    assert listed["uploads/nurses/quokka.md"]["acl"] == ["nurses"] and listed["uploads/nurses/quokka.md"]["chunks"] >= 1
    assert listed["uploads/nurses/quokka.md"]["ingested_at"]
    assert "uploads/nurses/quokka.md" in _ids(dana.get("/v1/documents"))  # dana is a nurse too
    assert "uploads/nurses/quokka.md" not in _ids(bob.get("/v1/documents"))
    assert "health/metformin.md" in _ids(bob.get("/v1/documents"))  # public demo documents stay visible

    query = {"query": "What are quokkas fed at dawn?", "k": 20}
    assert any(h["doc_id"] == "uploads/nurses/quokka.md" for h in alice.post("/v1/search", json=query).json()["hits"])
    bob_hits = bob.post("/v1/search", json=query).json()["hits"]
    assert bob_hits and all(h["doc_id"] != "uploads/nurses/quokka.md" for h in bob_hits)

    # bob can neither delete it nor overwrite it: his file of the same name lands in his group's folder,
    # and a text document naming its id is refused
    refused = bob.delete("/v1/documents/uploads/nurses/quokka.md")
    assert refused.status_code == 404 and refused.json()["error"]["code"] == "document_not_found"
    own = bob.post("/v1/documents", files=[("files", ("quokka.md", b"Quokkas eat bread."))]).json()
    assert own["documents_added"] == 1 and "uploads/paralegals/quokka.md" in _ids(bob.get("/v1/documents"))
    # naming alice's id stores bob's record in his own namespace: it neither replaces nor reveals hers
    clash = bob.post("/v1/documents", json={"documents": [{"id": "uploads/nurses/quokka.md",
                                                           "text": "Quokkas eat bread."}]}).json()
    fresh = bob.post("/v1/documents", json={"documents": [{"id": "uploads/nurses/no-such.md",
                                                           "text": "Quokkas eat bread."}]}).json()
    assert clash["ids"] == ["uploads/paralegals/nurses/quokka.md"] and clash["errors"] == fresh["errors"] == []
    assert clash["documents_added"] == fresh["documents_added"] == 1
    assert alice.get("/v1/documents").json()["data"][_ids(alice.get("/v1/documents")).index(
        "uploads/nurses/quokka.md")]["acl"] == ["nurses"]

    deleted = alice.delete("/v1/documents/uploads/nurses/quokka.md")
    assert deleted.status_code == 200 and deleted.json() == {"id": "uploads/nurses/quokka.md", "deleted": True}
    assert "uploads/nurses/quokka.md" not in _ids(alice.get("/v1/documents"))
    assert alice.delete("/v1/documents/uploads/nurses/quokka.md").status_code == 404


def test_json_documents_shared_with_a_named_subset_of_groups(as_user):
    dana, alice, bob = as_user("dana"), as_user("alice"), as_user("bob")
    body = {"documents": [{"id": "notes/lease-2024", "title": "Lease memo", "text": "The lease renews every May.",
                           "metadata": {"date": "2024-05-01"}}], "groups": ["paralegals"], "domain": "legal"}
    report = dana.post("/v1/documents", json=body).json()
    assert report["documents_added"] == 1 and report["ids"] == ["uploads/paralegals/notes/lease-2024"], report
    record = {d["id"]: d for d in bob.get("/v1/documents").json()["data"]}[report["ids"][0]]
    assert record["acl"] == ["paralegals"] and record["domain"] == "legal" and record["date"] == "2024-05-01"
    assert report["ids"][0] not in _ids(alice.get("/v1/documents"))
    found = bob.post("/v1/search", json={"query": "when does the lease renew", "k": 5,
                                         "filters": {"domains": ["legal"], "since": "2024"}}).json()["hits"]
    assert [h["doc_id"] for h in found] == report["ids"]


def test_upload_groups_must_be_the_callers(as_user):
    outside = as_user("alice").post("/v1/documents", json={"documents": [{"text": "x y z"}], "groups": ["paralegals"]})
    assert outside.status_code == 403 and "not yours" in outside.json()["error"]["message"]
    nobody = as_user("carol").post("/v1/documents", json={"documents": [{"text": "x y z"}]})
    assert nobody.status_code == 403 and "belongs to no group" in nobody.json()["error"]["message"]


def test_zip_upload_lands_where_the_page_keeps_uploads(as_user, api_kb):
    """The API's wiring only: the unpacking rules are tests/test_uploads.py's."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("ward/otter.md", "# Otters\n\nOtters in the ward pond eat fish twice a day.")
    report = as_user("alice").post("/v1/documents", files=[("files", ("batch.zip", buffer.getvalue()))]).json()
    assert report["documents_added"] == 1 and not report["errors"], report
    assert "uploads/nurses/batch/ward/otter.md" in _ids(as_user("alice").get("/v1/documents"))
    assert (api_kb.path / "uploads" / "nurses" / "batch" / "ward" / "otter.md").is_file()


def test_size_limits(url, as_user):
    alice = as_user("alice")
    big = alice.post("/v1/search", content=b'{"query": "' + b"a" * 70_000 + b'"}',
                     headers={"content-type": "application/json"})
    assert big.status_code == 413 and big.json()["error"]["code"] == "request_too_large"
    # No Content-Length (chunked): the limit holds while the body streams in.
    chunked = alice.post("/v1/search", content=iter([b'{"query": "', b"a" * 40_000, b"a" * 40_000, b'"}']),
                         headers={"content-type": "application/json"})
    assert chunked.status_code == 413 and "at most 64,000 bytes" in chunked.json()["error"]["message"]
    upload = alice.post("/v1/documents", files=[("files", ("huge.md", b"word " * 50_000))])
    assert upload.status_code == 413 and "multipart upload" in upload.json()["error"]["message"]
    one_big = alice.post("/v1/documents", files=[("files", ("big.md", b"word " * 5_000)),
                                                 ("files", ("ok.md", b"# Fine\n\nSmall files pass."))]).json()
    assert one_big["documents_added"] == 1 and "over the limit of 20,000" in one_big["errors"][0]["error"]
    k = alice.post("/v1/search", json={"query": "metformin", "k": 30})  # the model allows 50, this server 20
    assert k.status_code == 422 and k.json()["error"]["param"] == "k"
    many = alice.post("/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "x"}] * 65})
    assert many.status_code == 422 and many.json()["error"]["param"] == "messages"
    long = alice.post("/v1/chat/completions", json={"model": "auto", "messages": [{"role": "user", "content": "x" * 5000}]})
    assert long.status_code == 422 and "4000" in long.json()["error"]["message"]
    typo = alice.post("/v1/search", json={"query": "metformin", "top_k": 3})
    assert typo.status_code == 422 and typo.json()["error"]["param"] == "top_k"


def test_openapi_spec_describes_requests_and_responses(url):
    spec = httpx.get(f"{url}/openapi.json").json()
    assert {"/v1/chat/completions", "/v1/search", "/v1/documents", "/v1/documents/{doc_id}", "/v1/models"} <= set(spec["paths"])
    schemas = spec["components"]["schemas"]
    assert {"AssistantChatRequest", "ChatCompletionOut", "AnswerOut", "SearchRequest", "SearchOut", "IngestOut"} <= set(schemas)
    assert "assistant" in schemas["ChatCompletionOut"]["properties"]
    upload = spec["paths"]["/v1/documents"]["post"]["requestBody"]["content"]
    assert {"application/json", "multipart/form-data"} <= set(upload)
    assert upload["application/json"]["schema"]["properties"]["documents"]["items"]["properties"]["text"]


def test_local_mode_needs_no_key_and_checks_no_acl(http_server, api_kb):
    app = FastAPI()
    add_api(app, Assistant(api_kb))  # no users file
    url = http_server(app)
    added = httpx.post(f"{url}/v1/documents", json={"documents": [{"id": "local/memo", "text": "For paralegals."}],
                                                    "groups": ["paralegals"]}).json()
    assert added["documents_added"] == 1
    ids = _ids(httpx.get(f"{url}/v1/documents"))
    assert "local/memo" in ids and "health/metformin.md" in ids  # restricted documents are listed too
    models = httpx.get(f"{url}/v1/models").json()
    assert {"domain-assistant", "auto", "base"} <= {m["id"] for m in models["data"]}
