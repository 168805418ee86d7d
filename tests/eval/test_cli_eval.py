"""`assistant eval ...` end to end on a user-made question file against the bundled demo corpus: a report
folder with readable numbers and PNG plots, resumed from its cache after an interruption."""

import json

import pytest

from assistant.cli.main import main
from assistant.demo import QUESTIONS

PNG = b"\x89PNG\r\n\x1a\n"


def _questions(path, ids=None):
    """The demo questions in the generic format: graded gold document, gold answer, unanswerables."""
    lines = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if ids and q["id"] not in ids:
            continue
        item = {"id": q["id"], "question": q["question"]}
        if q["expected_doc"]:
            item.update(relevant={q["expected_doc"]: 2}, answer=q["answer_contains"])
        else:
            item["answerable"] = False
        lines.append(json.dumps(item))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _figures(out, names):
    for name in names:
        data = (out / name).read_bytes()
        assert data.startswith(PNG) and len(data) > 10_000, name


def test_eval_retrieval_compares_bm25_with_hybrid_and_resumes(tmp_path, demo_kb_path, capsys):
    data, out = _questions(tmp_path / "q.jsonl"), tmp_path / "report"
    args = ["eval", "retrieval", "--data", str(data), "--kb", str(demo_kb_path), "--out", str(out),
            "--compare", "bm25,hybrid", "--json"]
    assert main(args) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["questions"] == 12 and report["variants"] == ["bm25", "hybrid"]  # unanswerables have no gold
    hybrid = report["summary"]["hybrid"]
    assert hybrid["ndcg@10"]["value"] >= 0.9 and hybrid["recall@10"]["value"] == 1.0
    assert hybrid["ndcg@10"]["low"] <= hybrid["ndcg@10"]["value"] <= hybrid["ndcg@10"]["high"]
    diff = report["comparison"]["ndcg@10"]
    assert diff["value"] == pytest.approx(hybrid["ndcg@10"]["value"] - report["summary"]["bm25"]["ndcg@10"]["value"])
    _figures(out, ["metrics.png", "differences.png"])
    markdown = (out / "report.md").read_text()
    assert "| ndcg@10 |" in markdown and "![metrics](metrics.png)" in markdown

    # An interruption: two results lost and the last line cut short. The rerun computes only those.
    cache = out / "results-retrieval-hybrid.jsonl"
    lines = cache.read_text().splitlines()
    cache.write_text("\n".join(lines[:-3]) + "\n" + lines[-3][:20] + "\n")
    assert main(args) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["summary"]["hybrid"]["ndcg@10"] == hybrid["ndcg@10"]
    assert len([line for line in cache.read_text().splitlines() if line.endswith("}")]) == 12


def test_eval_verify_reports_calibration(tmp_path, capsys):
    evidence = "Adults usually take 500 mg of amoxicillin three times a day for 7 days."
    claims = [("a", "Adults take 500 mg of amoxicillin three times a day.", "supported"),
              ("b", "Adults take 900 mg of amoxicillin three times a day.", "contradicted"),
              ("c", evidence, "Supports"), ("d", "Amoxicillin cures the common cold.", "not_enough_info")]
    data = tmp_path / "claims.jsonl"
    data.write_text("\n".join(json.dumps({"id": i, "claim": c, "evidence": evidence, "label": label})
                              for i, c, label in claims) + "\n")
    out = tmp_path / "verify"
    assert main(["eval", "verify", "--data", str(data), "--out", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    curve = report["calibration"]["default"]
    assert sum(curve["count"]) == 4 and 0.0 <= curve["ece"] <= 1.0
    assert curve["per_label"]["supported"]["support"] == 2
    assert report["summary"]["default"]["supported_recall"]["value"] == 1.0
    _figures(out, ["metrics.png", "calibration.png"])
    assert "expected calibration error" in (out / "report.md").read_text()


def test_eval_usage_errors(tmp_path, demo_kb_path, capsys):
    data = _questions(tmp_path / "q.jsonl", {"q1"})
    base = ["eval", "retrieval", "--data", str(data), "--out", str(tmp_path / "o")]
    assert main(base) == 2
    assert "needs --kb DIR" in capsys.readouterr().err
    assert main(base + ["--kb", str(demo_kb_path), "--compare", "bm25,splade"]) == 2
    assert "expected configurations among hybrid, bm25, dense" in capsys.readouterr().err
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"question": "ok"}\n{"question": "x", "relevant": 3}\n')
    assert main(["eval", "retrieval", "--data", str(bad), "--kb", str(demo_kb_path), "--out", str(tmp_path)]) == 2
    assert f"{bad}:2: expected \"relevant\"" in capsys.readouterr().err


@pytest.mark.slow
def test_eval_answers_on_three_questions(tmp_path, demo_kb_path, capsys):
    data, out = _questions(tmp_path / "q.jsonl", {"q1", "q8", "u1"}), tmp_path / "answers"
    assert main(["eval", "answers", "--data", str(data), "--kb", str(demo_kb_path), "--out", str(out),
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)["summary"]["default"]
    # u1 (the Moon) is off-topic: the relevance gate abstains on it and on nothing else.
    assert summary["abstention_precision"]["value"] == 1.0 and summary["abstention_recall"]["value"] == 1.0
    assert summary["abstained"]["value"] == pytest.approx(1 / 3, abs=1e-3)
    assert 0.0 <= summary["faithfulness"]["value"] <= 1.0 and "citation_precision" in summary
    assert 0.0 <= summary["generator_citation_recall"]["value"] <= 1.0
    assert 0.0 <= summary["token_f1"]["value"] <= 1.0
    assert summary["latency_generate_s"]["value"] > 0 and summary["latency_total_s"]["n"] == 3
    _figures(out, ["metrics.png", "distributions.png"])
