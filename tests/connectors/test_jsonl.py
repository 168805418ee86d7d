from assistant.connectors import JsonlConnector


def test_ids_kept_exactly_and_metadata_collected(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text('{"id": "PMID:0042", "text": "Alpha.", "title": "A", "year": 2020, "acl": "nurses"}\n'
                 '\n'
                 '{"id": 17, "text": "Beta.", "domain": "legal"}\n', encoding="utf-8")
    docs = list(JsonlConnector(f).iter_documents())
    assert [d.id for d in docs] == ["PMID:0042", "17"]
    assert docs[0].metadata == {"user": {"year": 2020}} and docs[0].acl == ("nurses",) and docs[0].title == "A"
    assert docs[1].domain == "legal"


def test_malformed_lines_are_reported_with_line_numbers(tmp_path):
    f = tmp_path / "r.jsonl"
    f.write_text('{"id": "a", "text": "ok"}\n{not json\n["list"]\n{"id": "", "text": "x"}\n{"id": "b"}\n'
                 '{"id": "c", "text": "also ok"}\n', encoding="utf-8")
    items = list(JsonlConnector(f).iter_documents())
    errors = [i for i in items if isinstance(i, Exception)]
    assert [d.id for d in items if not isinstance(d, Exception)] == ["a", "c"]
    assert [e.source.rsplit(":", 1)[1] for e in errors] == ["2", "3", "4", "5"]
    assert "malformed JSON" in str(errors[0]) and "expected a JSON object" in str(errors[1])
    assert "non-empty string 'text'" in str(errors[3])
