import json

import pytest

from assistant.connectors.contractnli import (
    ContractNLIConnector,
    chunks_for_span,
    evidence_spans,
)
from assistant.core.errors import SourceError
from assistant.core.types import Chunk, Document
from assistant.ingest.chunking import SentenceChunker
from tests.conftest import shared_data

TEXT = "NON-DISCLOSURE AGREEMENT\nThe Recipient shall keep it secret. The Recipient may not copy it.\n"
LABELS = {"nda-1": {"short_description": "Explicit identification", "hypothesis": "All CI shall be identified."},
          "nda-2": {"short_description": "No copies", "hypothesis": "Receiving Party shall not copy."}}


def _contract(**overrides):
    doc = {"id": 7, "file_name": "nda.pdf", "text": TEXT, "document_type": "search-pdf",
           "url": "https://example.com/nda.pdf", "spans": [[0, 25], [25, 61], [61, 92]],
           "annotation_sets": [{"annotations": {"nda-1": {"choice": "NotMentioned", "spans": []},
                                                "nda-2": {"choice": "Entailment", "spans": [2]}}}]}
    doc.update(overrides)
    return doc


def _write(tmp_path, data, name="split.json"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def test_documents_keep_text_offsets_and_evidence(tmp_path):
    path = _write(tmp_path, {"documents": [_contract()], "labels": LABELS})
    connector = ContractNLIConnector(path)
    [doc] = list(connector.iter_documents())
    assert (doc.id, doc.title, doc.domain, doc.uri) == ("contractnli:7", "nda.pdf", "legal",
                                                        "https://example.com/nda.pdf")
    assert doc.text == TEXT  # exactly: evidence offsets index it
    assert doc.metadata == {
        "contractnli_id": 7, "file_name": "nda.pdf", "document_type": "search-pdf",
        "url": "https://example.com/nda.pdf", "spans": [[0, 25], [25, 61], [61, 92]],
        "annotations": {"nda-1": {"choice": "NotMentioned", "spans": []},
                        "nda-2": {"choice": "Entailment", "spans": [2]}}}
    assert connector.hypotheses == {"nda-1": "All CI shall be identified.", "nda-2": "Receiving Party shall not copy."}
    assert connector.labels["nda-2"]["short_description"] == "No copies"
    assert evidence_spans(doc, "nda-2") == [(61, 92)] and evidence_spans(doc, "nda-1") == []
    assert TEXT[61:92] == "The Recipient may not copy it.\n"  # dataset spans carry the whitespace after them
    found = chunks_for_span(SentenceChunker().chunk(doc), 61, 92)
    assert len(found) == 1 and "The Recipient may not copy it." in found[0].text


def test_chunks_for_span_overlap_whitespace_and_empty_spans():
    text = "Alpha one. Beta two.\n\nGamma three."
    chunks = [Chunk(id="d#0", doc_id="d", text=text[0:10], start=0, end=10),
              Chunk(id="d#1", doc_id="d", text=text[11:20], start=11, end=20),
              Chunk(id="d#2", doc_id="d", text=text[22:34], start=22, end=34)]
    ids = lambda found: [c.id for c in found]  # noqa: E731
    assert ids(chunks_for_span(chunks, 11, 20)) == ["d#1"]
    assert ids(chunks_for_span(chunks, 5, 15)) == ["d#0", "d#1"]  # split across consecutive chunks
    assert ids(chunks_for_span(chunks, 11, 22)) == ["d#1"]  # its trailing "\n\n" is in no chunk's text
    assert ids(chunks_for_span(list(reversed(chunks)), 0, 34)) == ["d#0", "d#1", "d#2"]  # text order
    assert ids(chunks_for_span(chunks, 3, 3)) == ["d#0"]  # an empty span: the chunk around it
    assert ids(chunks_for_span(chunks, 20, 22)) == []  # whitespace between chunks: no chunk holds it
    with pytest.raises(ValueError, match="before its start"):
        chunks_for_span(chunks, 5, 4)


def test_malformed_json_and_wrong_shapes_are_source_errors(tmp_path):
    [bad] = list(ContractNLIConnector(_write(tmp_path, '{"documents": [', "bad.json")).iter_documents())
    assert isinstance(bad, SourceError) and bad.source == str(tmp_path / "bad.json")
    assert "malformed JSON" in str(bad) and 'expected a ContractNLI split {"documents"' in str(bad)
    [shape] = list(ContractNLIConnector(_write(tmp_path, {"data": [], "version": 1}, "s.json")).iter_documents())
    assert isinstance(shape, SourceError)
    assert 'expected a ContractNLI split: an object with a "documents" list' in str(shape)
    assert "found keys ['data', 'version']" in str(shape)
    [listed] = list(ContractNLIConnector(_write(tmp_path, [1, 2], "l.json")).iter_documents())
    assert isinstance(listed, SourceError) and "found a JSON list" in str(listed)
    [missing] = list(ContractNLIConnector(tmp_path / "none.json").iter_documents())
    assert isinstance(missing, SourceError) and "could not read file" in str(missing)


def test_bad_documents_are_reported_and_the_rest_still_read(tmp_path):
    documents = [
        _contract(id=1),
        "not an object",
        _contract(id=2, text=""),
        _contract(id=3, spans=[[0, 25], [25, 500]]),  # past the end of the text
        _contract(id=4, annotation_sets=[{"annotations": {"nda-2": {"choice": "Maybe", "spans": []}}}]),
        _contract(id=5, annotation_sets=[{"annotations": {"nda-2": {"choice": "Entailment", "spans": [9]}}}]),
        _contract(id=1),  # duplicate id
        _contract(id=None, file_name="named-by-file.pdf", annotation_sets=[]),  # no id: the file name keys it
        _contract(id=None, file_name=None),
    ]
    path = _write(tmp_path, {"documents": documents, "labels": {"nda-1": "not an object"}})
    items = list(ContractNLIConnector(path).iter_documents())
    docs = [i for i in items if isinstance(i, Document)]
    errors = [i for i in items if isinstance(i, SourceError)]
    assert [d.id for d in docs] == ["contractnli:1", "contractnli:named-by-file.pdf"]
    assert docs[1].metadata["annotations"] == {}
    messages = {e.source.split("#", 1)[1]: str(e) for e in errors}
    assert "expected \"labels\" as" in messages["labels"]
    assert "found str" in messages["documents[1]"]
    assert "expected a non-empty string text" in messages["id=2"]
    assert "expected spans[1] as [start, end] with 0 <= start <= end <= 92 (the text length)" in messages["id=3"]
    assert "expected choice one of Entailment, Contradiction, NotMentioned, found 'Maybe'" in messages["id=4"]
    assert "expected spans as indices into the document's 3 spans, found [9]" in messages["id=5"]
    assert "duplicate id 'contractnli:1'" in messages["documents[6]"]
    assert "expected an integer or string id (or a file_name), found None" in messages["documents[8]"]


def test_shared_dev_every_evidence_span_maps_to_chunks():
    path = shared_data("contractnli/dev.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    connector = ContractNLIConnector(path)
    docs = [d for d in connector.iter_documents()]
    assert all(isinstance(d, Document) for d in docs) and len(docs) == 61
    assert [d.id for d in docs] == [f"contractnli:{d['id']}" for d in raw["documents"]]
    assert len(connector.hypotheses) == 17 and connector.hypotheses["nda-11"].startswith("Receiving Party shall not")
    chunker = SentenceChunker()
    checked = blank = 0
    for doc, entry in zip(docs, raw["documents"]):
        assert doc.text == entry["text"] and doc.title == entry["file_name"]
        chunks = chunker.chunk(doc)
        sizes = [len(c.text) for c in chunks]
        assert max(sizes) <= 800 and sum(sizes) / len(sizes) > 250, (doc.id, sizes)  # chunk-sized, not lines
        for key in doc.metadata["annotations"]:
            for start, end in evidence_spans(doc, key):
                found = chunks_for_span(chunks, start, end)
                assert found, (doc.id, key, start, end)
                wanted = doc.text[start:end].strip()
                if not wanted:
                    blank += 1  # dev has one evidence span that is a single space
                    continue
                checked += 1
                if not any(wanted in c.text for c in found):
                    # split across chunks: they are consecutive and together hold every character of it
                    positions = {p for c in found for p in range(c.start, c.end)}
                    assert all(p in positions for p in range(start, end) if not doc.text[p].isspace())
                    assert [chunks.index(c) for c in found] == list(range(chunks.index(found[0]),
                                                                          chunks.index(found[-1]) + 1))
    assert checked > 1000 and blank == 1
