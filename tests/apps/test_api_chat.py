"""Chat completions through the official `openai` client against the real server (page and API in one
process, real models, demo KB, users with API keys): the verified answer, its citations and verdicts
in the extra `assistant` field, streamed and not; follow-ups; ACL; the answer queue's 503."""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from fastapi import FastAPI

from assistant.apps.api import add_api
from assistant.apps.limits import ApiLimits
from assistant.apps.server import create_server
from assistant.pipeline import Assistant
from assistant.reliability.checks import NOT_FOUND
from tests.apps.api_fixtures import api_kb, api_users, bearer  # noqa: F401 - fixtures

pytestmark = pytest.mark.slow
openai = pytest.importorskip("openai")
QUESTION = "Is there a rare but dangerous side effect I should know about with metformin?"
VERDICTS = {"supported", "repaired", "unsupported", "removed"}


@pytest.fixture(scope="module")
def assistant(api_kb):
    a = Assistant(api_kb)
    a.warm_up()
    return a


@pytest.fixture(scope="module")
def url(http_server, assistant, api_users):
    return http_server(create_server(assistant, api_users[0]))


@pytest.fixture(scope="module")
def client(url, api_users):
    def make(name: str = "alice"):
        return openai.OpenAI(base_url=f"{url}/v1", api_key=api_users[1][name], max_retries=0, timeout=600)
    return make


@pytest.fixture(scope="module")
def answered(client):
    return client().chat.completions.create(model="domain-assistant", messages=[{"role": "user", "content": QUESTION}])


def test_answer_with_citations_and_verdicts_in_the_extra_field(answered):
    text = answered.choices[0].message.content
    extra = answered.model_extra["assistant"]
    assert answered.to_dict()["assistant"] == extra
    assert text and text == extra["answer"] and not extra["abstained"]
    assert extra["question"] == QUESTION and 0 < extra["confidence"] <= 1
    assert extra["citations"] and all(c["doc_id"] and c["text"] for c in extra["citations"])
    assert "health/metformin.md" in {c["doc_id"] for c in extra["citations"]}
    assert extra["sentences"] and {s["verdict"] for s in extra["sentences"]} <= VERDICTS
    shown = [s for s in extra["sentences"] if s["verdict"] != "removed"]
    assert all(s["citations"] for s in shown if s["verdict"] in ("supported", "repaired"))
    assert f"[{extra['citations'][0]['n']}]" in text


def test_streamed_answer_matches_and_ends_with_the_extra_field(client, answered):
    chunks = list(client().chat.completions.create(
        model="domain-assistant", messages=[{"role": "user", "content": QUESTION}], stream=True))
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == answered.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"
    final = chunks[-1].model_extra["assistant"]
    assert final["answer"] == text and final["citations"] == answered.model_extra["assistant"]["citations"]
    assert all("assistant" not in c.model_extra for c in chunks[:-1])
    # While the answer is made, the stream says so: stages and the generator's draft (not content).
    progress = [c.model_extra["assistant_progress"] for c in chunks if "assistant_progress" in (c.model_extra or {})]
    stages = [p["stage"] for p in progress]
    assert "generating" in stages and stages[-1] == "checking"
    assert "".join(p["draft_delta"] for p in progress).strip()
    assert all(not (c.choices and c.choices[0].delta.content) for c in chunks if "assistant_progress" in c.model_extra)


def test_off_topic_question_abstains_with_the_closest_passages(client):
    reply = client().chat.completions.create(model="auto", messages=[
        {"role": "user", "content": "Who won the 2018 FIFA World Cup?"}])
    extra = reply.model_extra["assistant"]
    assert extra["abstained"] and reply.choices[0].message.content == NOT_FOUND
    assert extra["abstain_reason"] and not extra["citations"]


def test_follow_up_is_asked_with_the_earlier_question(client):
    reply = client().chat.completions.create(model="domain-assistant", messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Which medicine is used first for type 2 diabetes?"},
        {"role": "assistant", "content": "Metformin [1]."},
        {"role": "user", "content": [{"type": "text", "text": "What rare side effect does it have?"}]}])
    extra = reply.model_extra["assistant"]
    # "it" is the name the earlier reply gave, not the diabetes leaflet that reply cited
    assert extra["question"] == "What rare side effect does Metformin have?"
    assert any(h["doc_id"] == "health/metformin.md" for h in extra["citations"] + extra["closest"])


def test_a_pronoun_follow_up_is_asked_about_the_document_the_earlier_question_named(client):
    reply = client().chat.completions.create(model="domain-assistant", messages=[
        {"role": "user", "content": "What is the usual dose of metformin?"},
        {"role": "assistant", "content": "Doctors start metformin at a low dose [1]."},
        {"role": "user", "content": "And who should not take it?"}])
    # the title comes from a search with the caller's own filters, as the page takes it from citations
    assert reply.model_extra["assistant"]["question"] == "And who should not take Metformin?"


def test_answers_never_use_passages_outside_the_callers_groups(client, url, api_users):
    secret = {"documents": [{"id": "legal/quokka-clause", "title": "Quokka clause",
                             "text": "Clause 9. The tenant may keep at most two quokkas on the premises."}]}
    report = httpx.post(f"{url}/v1/documents", json=secret, headers=bearer(api_users[1]["bob"]), timeout=60).json()
    assert report["documents_added"] == 1 and report["ids"] == ["uploads/paralegals/legal/quokka-clause"]
    ask = [{"role": "user", "content": "How many quokkas may the tenant keep on the premises?"}]
    alice = client("alice").chat.completions.create(model="auto", messages=ask).model_extra["assistant"]
    used = {h["doc_id"] for h in alice["citations"] + alice["closest"]}
    assert report["ids"][0] not in used
    bob = client("bob").chat.completions.create(model="auto", messages=ask).model_extra["assistant"]
    assert report["ids"][0] in {h["doc_id"] for h in bob["citations"] + bob["closest"]}


def test_errors_reach_the_client_as_openai_errors(client, url):
    with pytest.raises(openai.NotFoundError, match="not served here"):
        client().chat.completions.create(model="gpt-4", messages=[{"role": "user", "content": QUESTION}])
    bad = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-da-wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.models.list()
    with pytest.raises(openai.UnprocessableEntityError, match="last message must be the user's"):
        client().chat.completions.create(model="auto", messages=[{"role": "assistant", "content": "hi"}])
    with pytest.raises(openai.UnprocessableEntityError, match="last user message is blank"):
        client().chat.completions.create(model="auto", messages=[{"role": "user", "content": QUESTION},
                                                                  {"role": "user", "content": " \n "}])
    assert {"domain-assistant", "auto", "base"} <= {m.id for m in client().models.list()}
    assert httpx.get(f"{url}/health").json()["status"] == "ok"
    missing = httpx.get(f"{url}/v1/no-such-route")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_route"
    assert httpx.get(f"{url}/", timeout=30).status_code == 200  # the page shares the process


def test_a_full_answer_queue_is_refused_with_retry_after(http_server, assistant):
    app = FastAPI()
    gate = add_api(app, assistant, limits=ApiLimits(queue=0))
    url = http_server(app)
    body = {"model": "auto", "messages": [{"role": "user", "content": QUESTION}]}
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(r=httpx.post(f"{url}/v1/chat/completions", json=body,
                                                                       timeout=600)))
    worker.start()
    deadline = time.time() + 30
    while not gate.busy and time.time() < deadline:
        time.sleep(0.01)
    assert gate.busy, "the first request never reached the generator"
    refused = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=30)
    streamed = httpx.post(f"{url}/v1/chat/completions", json={**body, "stream": True}, timeout=30)
    worker.join(600)
    assert refused.status_code == 503 and int(refused.headers["Retry-After"]) >= 1
    assert refused.json()["error"]["code"] == "queue_full"
    assert streamed.status_code == 503  # refused before the stream starts
    assert first["r"].status_code == 200 and first["r"].json()["assistant"]["citations"]
