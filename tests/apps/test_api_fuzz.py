"""Property-based fuzz of the API on a real server on loopback: random and malformed requests (bodies,
headers, content types, paths) never get a 5xx, and every error comes in the OpenAI error shape.

Kept cheap and bounded: chat bodies never name a served model, so no request reaches the generator
(the chat tests cover answering); searches and uploads run for real against a private KB copy."""

from __future__ import annotations

import json
from urllib.parse import quote

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.apps.api import add_api
from assistant.apps.limits import ApiLimits
from assistant.apps.openai_wire import SERVED_MODEL
from assistant.core.types import AUTO, BASE
from assistant.pipeline import Assistant
from tests.apps.api_fixtures import api_kb, api_users, bearer  # noqa: F401 - fixtures

FUZZ = settings(max_examples=40, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
SERVED = {SERVED_MODEL, AUTO, BASE}
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=30),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
                           max_leaves=12)


@pytest.fixture(scope="module")
def api(http_server, api_kb, api_users):
    app = FastAPI()
    add_api(app, Assistant(api_kb), api_users[0], ApiLimits(body_bytes=20_000, upload_bytes=50_000, file_bytes=10_000))
    with httpx.Client(base_url=http_server(app), timeout=60) as client:
        yield client, api_users[1]


def check(response: httpx.Response) -> None:
    assert response.status_code < 500, f"{response.status_code}: {response.text[:500]}"
    if response.status_code >= 400:
        error = response.json()["error"]
        assert isinstance(error["message"], str) and error["message"] and error["type"]


messages = st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "robot", ""]),
                                           "content": st.one_of(st.text(max_size=50), json_values)}), max_size=5)
chat_bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"model": st.text(max_size=20).filter(lambda m: m not in SERVED),
                           "messages": st.one_of(messages, json_values)},
                          optional={"stream": st.one_of(st.booleans(), json_values),
                                    "max_tokens": st.one_of(st.integers(), json_values),
                                    "filters": json_values}))


@FUZZ
@given(body=chat_bodies, key=st.sampled_from(["alice", "bob", None, "garbage"]))
def test_chat_validation_never_fails_the_server(api, body, key):
    client, keys = api
    headers = bearer(keys.get(key, "sk-da-garbage")) if key else {}
    check(client.post("/v1/chat/completions", json=body, headers=headers))


filters = st.fixed_dictionaries({}, optional={
    "domains": st.lists(st.sampled_from(["healthcare", "legal", "Legal", "", "x" * 600]), max_size=3),
    "doc_ids": st.lists(st.text(max_size=20), max_size=3),
    "sources": st.lists(st.sampled_from(["health/", "*", "legal/nda.md", "%", "_"]), max_size=2),
    "since": st.sampled_from(["2024", "2024-13-99", "yesterday", ""]), "until": st.text(max_size=12)})
search_bodies = st.one_of(json_values, st.fixed_dictionaries(
    {"query": st.text(max_size=200)}, optional={"k": st.integers(-5, 80), "filters": st.one_of(filters, json_values)}))


@FUZZ
@given(body=search_bodies, key=st.sampled_from(["alice", "carol", "dana"]))
def test_search_with_random_queries_and_filters(api, body, key):
    client, keys = api
    response = client.post("/v1/search", json=body, headers=bearer(keys[key]))
    check(response)
    if response.status_code == 200:
        assert isinstance(response.json()["hits"], list)


documents = st.lists(st.fixed_dictionaries({"text": st.text(max_size=80)},
                                           optional={"id": st.text(max_size=30), "title": st.text(max_size=30),
                                                     "metadata": json_values}), max_size=3)
upload_bodies = st.one_of(json_values, st.fixed_dictionaries(
    {"documents": st.one_of(documents, json_values)},
    optional={"groups": st.lists(st.sampled_from(["nurses", "paralegals", "admins", "bad group!"]), max_size=2)}))


@FUZZ
@given(body=upload_bodies, key=st.sampled_from(["alice", "carol"]))
def test_json_uploads(api, body, key):
    client, keys = api
    check(client.post("/v1/documents", json=body, headers=bearer(keys[key])))


@FUZZ
@given(name=st.text(max_size=40), data=st.binary(max_size=300), kind=st.sampled_from(
    ["multipart", "text/plain", "application/json", "", "multipart/form-data"]))
def test_raw_uploads_and_content_types(api, name, data, kind):
    client, keys = api
    headers = bearer(keys["dana"])
    if kind == "multipart":
        response = client.post("/v1/documents", files=[("files", (name or "f", data))], headers=headers)
    else:  # a body that does not match its Content-Type (a boundary-less multipart, bytes as JSON, ...)
        response = client.post("/v1/documents", content=data, headers={**headers, "content-type": kind})
    check(response)


@FUZZ
@given(path=st.text(max_size=40), method=st.sampled_from(["DELETE", "GET", "PUT"]))
def test_document_paths_and_methods(api, path, method):
    client, keys = api
    response = client.request(method, "/v1/documents/" + quote(path, safe="/"), headers=bearer(keys["bob"]))
    assert response.status_code < 500, response.text[:300]


def test_malformed_json_is_a_422_with_the_error_shape(api):
    client, keys = api
    for raw in [b"{", b"[]", b"null", b'{"query": 5}', "{\"query\": \"\ud800\"}".encode("utf-8", "surrogatepass")]:
        response = client.post("/v1/search", content=raw, headers={**bearer(keys["alice"]),
                                                                   "content-type": "application/json"})
        check(response)
        assert response.status_code == 422, (raw, response.text)
    assert json.loads(client.get("/openapi.json").text)["openapi"].startswith("3.")
