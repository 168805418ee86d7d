"""The web page in a real headless Chromium (Debian's, driven by Playwright; no browser download), served
with a users file: two users of different groups, one server for the module, real models."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from assistant.core.users import UserStore
from assistant.pipeline import audit_path
from assistant.reliability.audit import AuditLog
from tests.conftest import ARTIFACTS, free_port

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
USERS = {"nina": ("nurse-pass-1", ["nurses"]), "lou": ("lawyer-pass-1", ["legal"])}
FACT_QUESTION = "Which tea does the Zephyr ward courtesy trolley stock?"
FACT = ("# Zephyr ward hospitality\n\nThe courtesy trolley on the Zephyr ward stocks lavender tea every Thursday "
        "afternoon.\nVisitors may take one cup each; the volunteer team refills the trolley.\n")


@pytest.fixture(scope="module")
def kb_copy(demo_kb_path, tmp_path_factory):
    """The demo KB copied, since this module uploads into it and the session's demo KB is shared."""
    path = tmp_path_factory.mktemp("web") / "kbs" / "demo"
    shutil.copytree(demo_kb_path, path, ignore=shutil.ignore_patterns(".lock", "audit.sqlite*"))
    return path


@pytest.fixture(scope="module")
def server(kb_copy, tmp_path_factory):
    users = UserStore(tmp_path_factory.mktemp("users") / "users.json")
    for name, (password, groups) in USERS.items():
        users.add(name, password, groups)
    port = free_port()
    log = (kb_copy.parent / "server.log").open("w")  # a file, not a pipe: a full pipe would stall the server
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--kb", str(kb_copy), "--users",
                             str(users.path), "--port", str(port)], stdout=log, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {(kb_copy.parent / 'server.log').read_text()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            time.sleep(1)
    else:
        proc.kill()
        pytest.fail("server did not start within 180 s")
    yield url
    proc.terminate()
    proc.wait(timeout=30)
    log.close()


@pytest.fixture(scope="module")
def browser(server):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        yield b
        b.close()


def _login(browser, url: str, name: str):
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.fill("input[type=text]", name)
    page.fill("input[type=password]", USERS[name][0])
    page.click("button:has-text('Login')")
    page.wait_for_selector("#question textarea", timeout=60_000)
    page.wait_for_selector(f"#kb-stats:has-text('you ({name})')", timeout=30_000)
    return page


@pytest.fixture(scope="module")
def nina(browser, server):
    return _login(browser, server, "nina")


def _ask(page, question: str) -> None:
    page.click("#ask-tab-button")
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_selector("#draft", timeout=30_000)  # the staged progress shows at once
    page.wait_for_selector("#draft", state="detached", timeout=120_000)


def test_sign_in_ask_see_verdicts_and_open_the_highlighted_source(nina):
    _ask(nina, "How long do we have to keep the other side's information secret after our NDA ends?")
    assert nina.locator("#answer .badge.supported").count() >= 1
    assert nina.locator("#legend .badge.unsupported").count() == 1
    cite = nina.locator("#answer a.cite").first
    target = cite.get_attribute("data-target")
    cite.click()
    source = nina.locator(f"#{target}")
    source.wait_for(state="visible")
    assert "active" in (source.get_attribute("class") or "")
    assert "Mutual Non-Disclosure Agreement" in source.inner_text()
    assert "three years" in source.locator("mark.support").first.inner_text()
    nina.screenshot(path=str(ARTIFACTS / "web-answer.png"), full_page=True)


def test_feedback_is_stored_with_the_answer(nina, kb_copy):
    nina.fill("#feedback-comment textarea", "Clear and cited.")
    nina.click("#thumbs-up")
    nina.wait_for_selector("#feedback-status:has-text('saved')", timeout=30_000)
    [record] = [r for r in AuditLog(audit_path(kb_copy)).feedback() if r["user"] == "nina"]
    assert (record["rating"], record["comment"]) == (1, "Clear and cited.")
    assert "three years" in record["answer"]


def test_upload_is_cited_for_its_group_and_invisible_to_another(nina, browser, server, tmp_path):
    (tmp_path / "zephyr-ward.md").write_text(FACT, encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    nina.click("#kb-tab-button")
    # The tab's listing is filled by the page's load event: set the files only once it has run, or a
    # late re-render (on a busy machine) empties the upload box again.
    nina.wait_for_selector("#documents :text('health/metformin.md')", timeout=60_000)
    nina.set_input_files("#upload-files input[type=file]", [str(tmp_path / "zephyr-ward.md"), str(tmp_path / "broken.pdf")])
    nina.wait_for_selector("#upload-files :text('zephyr-ward.md')", timeout=30_000)
    nina.click("#ingest")
    nina.wait_for_selector(".progress-text, .progress-level", timeout=10_000)  # the live progress bar
    nina.wait_for_selector("#ingest-status:has-text('Ingest finished')", timeout=120_000)
    status = nina.inner_text("#ingest-status")
    assert "1 added" in status and "Visible to: nurses" in status and "broken.pdf" in status
    assert "uploads/nurses/zephyr-ward.md" in nina.inner_text("#documents")
    nina.screenshot(path=str(ARTIFACTS / "web-upload.png"), full_page=True)

    _ask(nina, FACT_QUESTION)
    assert "lavender" in nina.inner_text("#answer").lower()
    assert "uploads/nurses/zephyr-ward.md" in nina.inner_text("#sources-panel")

    lou = _login(browser, server, "lou")
    _ask(lou, FACT_QUESTION)
    lou.screenshot(path=str(ARTIFACTS / "web-other-group.png"), full_page=True)
    assert "zephyr" not in lou.inner_text("#conversation").lower().replace(FACT_QUESTION.lower(), "")
    assert "zephyr" not in lou.inner_text("#sources-panel").lower()
    lou.click("#kb-tab-button")
    lou.wait_for_selector("#documents :text('legal/mutual-nda.md')", timeout=30_000)
    assert "zephyr" not in lou.inner_text("#documents").lower()
    assert "uploads/nurses" not in lou.content()


def test_an_empty_question_is_a_calm_message_and_sources_stay_in_view_through_a_follow_up(nina):
    nina.click("#ask-tab-button")
    nina.fill("#question textarea", "   ")
    nina.click("#ask")
    nina.wait_for_selector("#ask-status:has-text('The question is empty')", timeout=30_000)
    # No error state: the conversation and the sources keep what they showed, and no "Error" badge appears.
    assert "error" not in nina.inner_text("#conversation").lower()
    assert nina.locator("#sources-panel .error, #conversation .error").count() == 0

    _ask(nina, "What is the usual starting dose of metformin?")
    assert nina.inner_text("#ask-status").strip() == ""  # the calm message goes with the next question
    _ask(nina, "And who should not take it?")
    last = nina.locator(".turn").last
    assert "metformin" in last.inner_text().lower()  # the follow-up was asked about its subject
    # A long conversation: scrolled to its end, the Sources panel is still on screen beside it.
    nina.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    box = nina.locator("#sources-column").bounding_box()
    height = nina.evaluate("window.innerHeight")
    assert box is not None and box["y"] < height and box["y"] + box["height"] > 0
    assert nina.locator("#sources-panel .source").count() >= 1
    nina.screenshot(path=str(ARTIFACTS / "web-follow-up.png"), full_page=False)
