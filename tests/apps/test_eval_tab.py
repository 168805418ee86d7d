"""The Evaluation tab: report folders found under the configured directory, shown as markdown + plots,
in the page the server really builds."""

import shutil

from assistant.apps.eval_tab import load_report, report_folders
from assistant.apps.web import build_app

REPORT = "# Evaluation: `retrieval` on q.jsonl\n\n| metric | hybrid |\n|---|---|\n| mrr | 1.000 |\n\n![metrics](metrics.png)\n"


def _reports(tmp_path):
    root = tmp_path / "reports"
    for name in ("run-a", "nested/run-b"):
        (root / name).mkdir(parents=True)
        (root / name / "report.md").write_text(REPORT)
        (root / name / "metrics.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    (root / "not-a-report").mkdir()
    return root


def test_folders_and_report_content(tmp_path):
    root = _reports(tmp_path)
    assert sorted(report_folders(root)) == ["nested/run-b", "run-a"]
    text, images = load_report(root, "run-a")
    assert "| mrr | 1.000 |" in text and "![metrics]" not in text
    assert images == [(str((root / "run-a" / "metrics.png").resolve()), "metrics")]
    assert "No report at ../x" in load_report(root, "../x")[0]  # nothing outside the directory is read
    assert "No report selected" in load_report(root, None)[0]


def test_page_has_the_tab_only_when_a_directory_is_given(tmp_path, assistant):
    root = _reports(tmp_path)
    shutil.rmtree(root / "nested")
    with_tab = build_app(assistant, root).config
    labels = [c.get("props", {}).get("label") for c in with_tab["components"]]
    assert "Evaluation" in labels and "Ask" in labels and "Report" in labels
    without = build_app(assistant).config
    assert "Evaluation" not in [c.get("props", {}).get("label") for c in without["components"]]
