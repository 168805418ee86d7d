"""The question file formats: JSONL and TREC qrels, with errors that name file:line."""

import json

import pytest

from assistant.eval.items import EvalDataError, load_jsonl, load_qrels


def _write(path, lines):
    path.write_text("\n".join(json.dumps(x) if not isinstance(x, str) else x for x in lines) + "\n")
    return path


def test_jsonl_fields(tmp_path):
    items = load_jsonl(_write(tmp_path / "q.jsonl", [
        {"id": "a", "question": "  What  is X? ", "relevant": {"d1": 2, "d2": 0}, "answer": "X", "label": "yes"},
        {"question": "Is Y?", "relevant": ["d3"], "answerable": False, "scope": "d3", "evidence": "Y is."},
        {"id": 7, "claim": "Z holds.", "evidence": ["Z holds here."], "label": "supported"},
    ]))
    assert [i.id for i in items] == ["a", "2", "7"]
    assert items[0].question == "What is X?" and items[0].relevance == {"d1": 2.0, "d2": 0.0}
    assert items[1].relevance == {"d3": 1.0} and not items[1].answerable and items[1].scope == ("d3",)
    assert items[1].evidence == ("Y is.",) and items[2].question == "Z holds."


@pytest.mark.parametrize("line, message", [
    ("{not json", "expected one JSON object per line, found invalid JSON"),
    ({"questoin": "typo"}, "found ['questoin'] (a typo?)"),
    ({"question": ""}, 'expected a non-empty string "question"'),
    ({"question": "q", "relevant": {"d": "high"}}, 'expected "relevant" grades as numbers'),
    ({"question": "q", "answerable": "no"}, 'expected "answerable" as true or false'),
    ({"question": "q", "evidence": 3}, 'expected "evidence" as a string or a list'),
])
def test_jsonl_errors_name_file_line_expected_and_found(tmp_path, line, message):
    path = _write(tmp_path / "q.jsonl", [{"question": "fine"}, line])
    with pytest.raises(EvalDataError) as exc:
        load_jsonl(path)
    assert str(exc.value).startswith(f"{path}:2: ") and message in str(exc.value)


def test_duplicate_ids_and_missing_file(tmp_path):
    with pytest.raises(EvalDataError, match="unique ids"):
        load_jsonl(_write(tmp_path / "q.jsonl", [{"id": 1, "question": "a"}, {"id": "1", "question": "b"}]))
    with pytest.raises(EvalDataError, match="found no file there"):
        load_jsonl(tmp_path / "absent.jsonl")


def test_trec_qrels_with_tsv_and_jsonl_topics(tmp_path):
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("1 0 docA 2\n1 0 docB 0\n2 0 docC 1\n")
    topics = tmp_path / "topics.tsv"
    topics.write_text("1\tfirst query\n2\tsecond  query\n3\tunjudged\n")
    items = load_qrels(topics, qrels)
    assert [(i.id, i.question, i.relevance) for i in items] == [
        ("1", "first query", {"docA": 2.0, "docB": 0.0}), ("2", "second query", {"docC": 1.0}), ("3", "unjudged", {})]
    topics_jsonl = _write(tmp_path / "topics.jsonl", [{"id": "2", "query": "as json"}])
    assert load_qrels(topics_jsonl, qrels)[0].relevance == {"docC": 1.0}
    qrels.write_text("1 0 docA\n")
    with pytest.raises(EvalDataError, match=r"qrels.txt:1: expected 4 fields `qid 0 docid grade`"):
        load_qrels(topics, qrels)
