"""`assistant verify --claims FILE --json`: one JSON line per good claim, malformed lines reported with
file:line on stderr and exit code 1 after the good lines were answered."""

import json

from assistant.cli.main import main

EVIDENCE = "Adults usually take 500 mg of amoxicillin three times a day for 7 days."


def test_verify_json_lines_and_malformed_lines(tmp_path, capsys):
    claims = tmp_path / "claims.jsonl"
    claims.write_text("\n".join([
        json.dumps({"id": "a", "claim": "Adults take 500 mg of amoxicillin three times a day.", "evidence": EVIDENCE}),
        "{not json",
        json.dumps({"id": "b", "claim": "Adults take 900 mg of amoxicillin three times a day.",
                    "evidence": ["Unrelated passage.", EVIDENCE]}),
        json.dumps({"id": "c", "claim": "", "evidence": EVIDENCE}),
        json.dumps({"id": "d", "claim": "Something.", "evidence": 3}),
        "",
    ]) + "\n")
    code = main(["verify", "--claims", str(claims), "--json"])
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [set(line) for line in lines] == [{"id", "label", "score"}] * 2
    assert [line["id"] for line in lines] == ["a", "b"]
    assert lines[0]["label"] == "supported" and lines[1]["label"] in ("contradicted", "not_enough_info")
    assert all(0.0 <= line["score"] <= 1.0 for line in lines) and lines[0]["score"] > lines[1]["score"]
    assert f"{claims}:2: expected a JSON object" in err
    assert f"{claims}:4: expected a non-empty string" in err and f"{claims}:5: expected \"evidence\"" in err
    assert f"{claims}:6" not in err  # blank lines are not errors


def test_verify_all_good_exits_zero_and_missing_file_is_a_usage_error(tmp_path, capsys):
    claims = tmp_path / "claims.jsonl"
    claims.write_text(json.dumps({"id": 1, "claim": EVIDENCE, "evidence": EVIDENCE}) + "\n")
    assert main(["verify", "--claims", str(claims), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["id"] == "1"
    assert main(["verify", "--claims", str(tmp_path / "absent.jsonl"), "--json"]) == 2
    assert "expected a JSONL file" in capsys.readouterr().err


def test_verifier_training_takes_one_typed_request():
    import pytest

    from assistant.core.errors import AssistantError
    from assistant.reliability.train import TrainingRequest

    assert TrainingRequest(epochs=1.0, seed=3).batch_size == 32
    with pytest.raises(AssistantError, match="expected a positive --batch-size, found 0"):
        TrainingRequest(batch_size=0)
