"""bench/hostile.py at a smaller size: a hostile folder and 300 attack requests against real servers on
loopback; every count that must be zero is zero (the bench prints which one is not, and why)."""

import json

import pytest


@pytest.mark.slow
def test_hostile_corpus_and_attack_set_break_nothing(tmp_path):
    from bench.hostile import main

    out = tmp_path / "counts.json"
    assert main(["--requests", "300", "--chats", "0", "--json", str(out)]) == 0
    counts = json.loads(out.read_text())
    assert counts["requests"] >= 300 and counts["hostile cases"] >= 40
    assert counts["good uploads kept"] > 0  # the attack set did upload good files beside hostile ones
    for key in ("batch crashes", "writes outside the KB", "5xx", "ACL leaks", "unauthorised changes",
                "good documents lost"):
        assert counts[key] == 0, key
