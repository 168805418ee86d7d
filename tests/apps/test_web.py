"""The web page in a real headless Chromium (Debian's, driven by Playwright; no browser download)."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import ARTIFACTS, free_port

pytestmark = pytest.mark.slow
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def server(demo_kb_path):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--kb", str(demo_kb_path),
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited: {proc.stdout.read()}")
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


@pytest.fixture(scope="module")
def page(server):
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed (apt-get install chromium); .ci/run installs it")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--no-first-run", "--disable-sync"])
        pg = browser.new_page(viewport={"width": 1280, "height": 900})
        pg.goto(server, wait_until="domcontentloaded")
        pg.wait_for_selector("#question textarea", timeout=60_000)
        yield pg
        browser.close()


def _ask(page, question: str) -> None:
    page.fill("#question textarea", question)
    page.click("#ask")


def test_ask_see_cited_answer_with_verdicts_and_open_the_source(page):
    ARTIFACTS.mkdir(exist_ok=True)
    _ask(page, "How long do we have to keep the other side's information secret after our NDA ends?")
    page.wait_for_selector("#answer .sentence", timeout=120_000)
    assert page.locator("#answer .badge.supported").count() >= 1
    cite = page.locator("#answer a.cite").first
    assert cite.count() == 1
    n = cite.get_attribute("data-n")
    cite.click()
    source = page.locator(f"#src-{n}")
    source.wait_for(state="visible")
    assert "active" in (source.get_attribute("class") or "")
    assert "Mutual Non-Disclosure Agreement" in source.inner_text()
    page.screenshot(path=str(ARTIFACTS / "web-answer.png"), full_page=True)


def test_absent_answer_is_shown_as_not_in_the_sources(page):
    _ask(page, "Who won the 2018 FIFA World Cup?")
    page.wait_for_selector("#answer .badge.abstained", timeout=120_000)
    assert "Not found in the knowledge base" in page.inner_text("#answer")
    assert page.locator("#sources-panel .source").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "web-abstained.png"), full_page=True)
