"""Training-data files: validation messages, the PubMedQA converter, KB synthesis, answer parsing."""

import json

import pytest

from assistant.cli.main import main
from assistant.core.types import Chunk, Locator
from assistant.generation.adapters.data import (
    AdapterDataError,
    body_sentences,
    load_examples,
    load_pubmedqa,
    parse_decision,
    pubmedqa_example,
    split_ids,
    synthesize,
    validate,
)
from assistant.generation.adapters.evaluate import citation_counts
from tests.adapters.fixtures import marker_examples, write_jsonl, write_pubmedqa


def test_valid_file_loads(tmp_path):
    examples = load_examples(write_jsonl(tmp_path / "d.jsonl", marker_examples("Yes")))
    assert len(examples) == 4 and examples[0].contexts[0] == "The invoices rule is short."


@pytest.mark.parametrize("line, message", [
    ("{not json", "invalid JSON"),
    ('{"question": "q", "contexts": ["c"]}', "missing ['answer']"),
    ('{"question": "q", "contexts": [], "answer": "a [1]."}', "non-empty list"),
    ('{"question": "q", "contexts": ["c"], "answer": "no marker."}', "no [n] marker"),
    ('{"question": "q", "contexts": ["c"], "answer": "cites two [2]."}', "only 1 contexts"),
    ('["a list"]', "expected a JSON object"),
])
def test_bad_line_is_reported_with_its_line_number(tmp_path, line, message):
    good = json.dumps(marker_examples("Yes")[0])
    path = write_jsonl(tmp_path / "d.jsonl", [good, line])
    with pytest.raises(AdapterDataError) as err:
        load_examples(path)
    assert f"d.jsonl:2:" in str(err.value) and message in str(err.value)


def test_missing_and_empty_files(tmp_path):
    with pytest.raises(AdapterDataError, match="found nothing there"):
        load_examples(tmp_path / "absent.jsonl")
    with pytest.raises(AdapterDataError, match="at least one example"):
        load_examples(write_jsonl(tmp_path / "e.jsonl", [""]))


def test_pubmedqa_converter_cites_sections_and_ends_with_the_decision(tmp_path):
    items = load_pubmedqa(write_pubmedqa(tmp_path / "p.json"))
    ex = pubmedqa_example(items["111"])
    assert ex.contexts == ("Background: Fever is common in adults with infections.",
                           "Results: Aspirin lowered body temperature by 1.2 degrees in 80 adults compared with placebo.")
    assert ex.answer.splitlines()[-1] == "Answer: yes"
    assert ex.answer.startswith("Aspirin lowered body temperature in adults [2].")
    validate(json.loads(ex.to_json()))  # converter output passes the loader's own checks
    assert parse_decision(ex.answer) == "yes"
    assert citation_counts(ex.answer, len(ex.contexts)) == (2, 2)  # the decision line is not a claim
    short = pubmedqa_example(items["111"], max_context_chars=20, max_answer_sentences=1)
    assert len(short.contexts[1]) < 40 and "placebo" not in short.answer


def test_pubmedqa_file_errors(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"1": {"QUESTION": "q", "CONTEXTS": ["c"], "LONG_ANSWER": "a",
                                     "final_decision": "perhaps"}}))
    with pytest.raises(AdapterDataError, match="yes/no/maybe, found 'perhaps'"):
        load_pubmedqa(bad)
    with pytest.raises(AdapterDataError, match="not found"):
        load_pubmedqa(tmp_path / "none.json")


def test_convert_cli_and_deterministic_split(tmp_path, capsys):
    src = write_pubmedqa(tmp_path / "p.json")
    assert main(["adapters", "convert-pubmedqa", "--in", str(src), "--out", str(tmp_path / "o.jsonl")]) == 0
    assert len(load_examples(tmp_path / "o.jsonl")) == 3
    ids = [str(i) for i in range(50)]
    assert split_ids(ids, 0.2) == split_ids(reversed(ids), 0.2)
    train, held = split_ids(ids, 0.2)
    assert len(held) == 10 and not set(train) & set(held)


def test_decision_and_citation_parsing():
    assert parse_decision("Sleep improved [1].\nAnswer: No") == "no"
    assert parse_decision("Maybe, the data are mixed [1].") == "maybe"
    assert parse_decision("The data are mixed [1].") is None
    assert citation_counts("One [1]. Two [3]. Three.\nAnswer: yes", 2) == (1, 3)
    assert body_sentences("Answer: yes") == []


def test_synthesize_puts_the_answering_chunk_among_distractors_and_cites_it():
    chunks = [Chunk(f"d{i}#0", f"d{i}", f"Rule {i} says the fee is {i} dollars. It applies yearly.", 0, 50,
                    Locator(section=f"Fees {i}"), title=f"Contract {i}", domain="legal") for i in range(5)]
    examples = synthesize(chunks, n_contexts=3, seed=1)
    assert len(examples) == 5
    positions = set()
    for chunk, ex in zip(chunks, examples):
        validate(json.loads(ex.to_json()))
        assert ex.question == f"What does Contract {chunk.doc_id[1:]} say about Fees {chunk.doc_id[1:]}?"
        n = int(ex.answer.split("[")[1].split("]")[0])
        positions.add(n)
        assert chunk.text.split(".")[0] in ex.contexts[n - 1]  # the cited context is the answering chunk
        assert len(ex.contexts) == 3
    assert len(positions) > 1  # not always [1]: the model has to pick


@pytest.mark.slow
def test_synthesize_cli_reads_a_real_knowledge_base(new_kb, tmp_path, capsys):
    from assistant.core.types import Document

    kb = new_kb()
    kb.ingest([Document(f"doc{i}", f"Clinic {i} opens at {i + 7} am on weekdays. Parking is free for patients.",
                        title=f"Clinic {i} hours", domain="healthcare") for i in range(3)])
    kb.close()
    out = tmp_path / "syn.jsonl"
    assert main(["adapters", "synthesize", "--kb", str(tmp_path / "kb"), "--out", str(out)]) == 0
    examples = load_examples(out)  # the loader's validation accepts what synthesis writes
    assert len(examples) == 3 and all("Clinic" in ex.question for ex in examples)
    assert all(len(ex.contexts) == 3 for ex in examples)
