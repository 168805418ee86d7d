import json
from pathlib import Path

from assistant.connectors.healthcare import MedQuADConnector, PubMedQAConnector
from assistant.core.errors import SourceError
from assistant.core.types import Document
from tests.conftest import shared_data

MEDQUAD_XML = """<?xml version="1.0" encoding="UTF-8"?>
<Document id="0000042" source="NIDDK" url="http://www.niddk.nih.gov/acromegaly">
<Focus>Acromegaly</Focus>
<FocusAnnotations>
  <UMLS>
    <CUIs><CUI>C0001206</CUI><CUI>C0000002</CUI></CUIs>
    <SemanticTypes><SemanticType>T047</SemanticType></SemanticTypes>
    <SemanticGroup>Disorders</SemanticGroup>
  </UMLS>
</FocusAnnotations>
<QAPairs>
  <QAPair pid="1">
      <Question qid="0000042-1" qtype="information">What is (are)
         Acromegaly ?</Question>
      <Answer>Acromegaly is a hormonal   disorder
         caused by too much growth hormone.
                
      It is treatable in &quot;most&quot; patients.</Answer>
  </QAPair>
  <QAPair pid="2">
      <Question qid="0000042-2" qtype="symptoms">What are the symptoms of Acromegaly ?</Question>
      <Answer>   </Answer>
  </QAPair>
  <QAPair pid="3">
      <Question qtype="treatment">How to treat Acromegaly ?</Question>
      <Answer>Surgery.</Answer>
  </QAPair>
</QAPairs>
</Document>
"""

# The schema of a few real NINDS files: other tag names, lower case, docid/corpus attributes.
MEDQUAD_DOC_SCHEMA = """<?xml version="1.0" encoding="UTF-8"?>
<doc docid="0000007" corpus="NINDS" url="http://www.ninds.nih.gov/holmes_adie">
<doctitle-focus>Holmes-Adie</doctitle-focus>
<umls><cui></cui><semanticType></semanticType></umls>
<qaPairs><pair pid="1"><question qid="0000007-1" qtype="information">what is holmes-adie syndrome ?</question>
<answer>A disorder of the pupil.</answer></pair></qaPairs>
</doc>
"""


def _split(items):
    docs = [i for i in items if isinstance(i, Document)]
    errors = [i for i in items if isinstance(i, Exception)]
    assert len(docs) + len(errors) == len(items)
    return docs, errors


def test_medquad_one_document_per_answered_pair(tmp_path):
    folder = tmp_path / "5_NIDDK_QA"
    folder.mkdir()
    (folder / "0000042.xml").write_text(MEDQUAD_XML, encoding="utf-8")
    docs, errors = _split(list(MedQuADConnector(folder).iter_documents()))
    assert errors == []
    # empty answer (pair 2) skipped; ids come from the file and pair, the qid is kept in metadata
    assert [d.id for d in docs] == ["5_NIDDK_QA/0000042#1", "5_NIDDK_QA/0000042#3"]
    assert [d.metadata["qid"] for d in docs] == ["0000042-1", ""]
    first = docs[0]
    assert first.title == "What is (are) Acromegaly ?"
    assert first.text == ("# What is (are) Acromegaly ?\n\n"
                          "Acromegaly is a hormonal disorder caused by too much growth hormone.\n\n"
                          'It is treatable in "most" patients.')
    assert (first.source, first.uri, first.domain) == ("NIDDK", "http://www.niddk.nih.gov/acromegaly", "healthcare")
    assert first.metadata == {"focus": "Acromegaly", "qtype": "information", "collection": "5_NIDDK_QA",
                              "umls_cuis": ["C0001206", "C0000002"], "semantic_types": ["T047"],
                              "medquad_document_id": "0000042", "qid": "0000042-1"}
    assert docs[1].metadata["qtype"] == "treatment" and docs[1].text == "# How to treat Acromegaly ?\n\nSurgery."


def test_medquad_malformed_file_is_reported_and_the_rest_still_read(tmp_path):
    (tmp_path / "a_good.xml").write_text(MEDQUAD_XML, encoding="utf-8")
    (tmp_path / "b_bad.xml").write_text("<Document id='1'><QAPairs><QAPair></Document>", encoding="utf-8")
    (tmp_path / "c_other.xml").write_text("<rss><channel/></rss>", encoding="utf-8")
    (tmp_path / "d_doc_schema.xml").write_text(MEDQUAD_DOC_SCHEMA, encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not XML, not read", encoding="utf-8")
    docs, errors = _split(list(MedQuADConnector(tmp_path).iter_documents()))
    base = tmp_path.name
    assert [d.id for d in docs] == [f"{base}/a_good#1", f"{base}/a_good#3", f"{base}/d_doc_schema#1"]
    assert [Path(e.source).name for e in errors] == ["b_bad.xml", "c_other.xml"]
    assert all(isinstance(e, SourceError) for e in errors)
    assert "malformed XML" in str(errors[0]) and "mismatch" in str(errors[0])
    assert "expected a MedQuAD <Document> with <QAPairs>, found <rss>" in str(errors[1])
    ninds = docs[2]
    assert (ninds.source, ninds.title) == ("NINDS", "what is holmes-adie syndrome ?")
    assert ninds.metadata["focus"] == "Holmes-Adie" and ninds.metadata["umls_cuis"] == []


def test_medquad_does_not_expand_entities(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">'
            '<!ENTITY ext SYSTEM "file:///etc/passwd">]>'
            '<Document id="9"><QAPairs><QAPair pid="1"><Question qid="9-1">Q?</Question>'
            '<Answer>x &b; &ext; y</Answer></QAPair></QAPairs></Document>')
    (tmp_path / "bomb.xml").write_text(bomb, encoding="utf-8")
    docs, errors = _split(list(MedQuADConnector(tmp_path / "bomb.xml").iter_documents()))
    assert errors == [] and len(docs) == 1
    assert "aaaaaaaaaa" not in docs[0].text and "root:" not in docs[0].text


def test_medquad_missing_path_and_empty_folder(tmp_path):
    [missing] = list(MedQuADConnector(tmp_path / "nope").iter_documents())
    [empty] = list(MedQuADConnector(tmp_path).iter_documents())
    assert isinstance(missing, SourceError) and "does not exist" in str(missing)
    assert isinstance(empty, SourceError) and "found none" in str(empty)


def _pubmedqa_item(**overrides):
    item = {"QUESTION": "Does X help?", "CONTEXTS": ["We asked.", "X helped."], "LABELS": ["BACKGROUND", "RESULTS"],
            "MESHES": ["Humans"], "YEAR": "2001", "LONG_ANSWER": "X helps.", "final_decision": "yes",
            "reasoning_free_pred": "yes"}
    item.update(overrides)
    return item


def test_pubmedqa_sections_ids_and_metadata(tmp_path):
    f = tmp_path / "pqa.json"
    broken = _pubmedqa_item()
    del broken["CONTEXTS"]
    f.write_text(json.dumps({"0012345": _pubmedqa_item(), "777": broken,
                             "888": _pubmedqa_item(LABELS=["A"], QUESTION="Q2", final_decision="no")}),
                 encoding="utf-8")
    docs, errors = _split(list(PubMedQAConnector(f).iter_documents()))
    assert [d.id for d in docs] == ["0012345"]  # the key exactly, leading zeros kept
    doc = docs[0]
    assert doc.title == "Does X help?"
    assert doc.text == "## Background\n\nWe asked.\n\n## Results\n\nX helped.\n\n"
    assert (doc.source, doc.domain) == ("PubMedQA", "healthcare")
    assert doc.metadata == {"pmid": "0012345", "mesh": ["Humans"], "year": "2001", "question": "Does X help?",
                            "long_answer": "X helps.", "final_decision": "yes"}
    assert [e.source for e in errors] == [f"{f}#777", f"{f}#888"]
    assert "expected CONTEXTS" in str(errors[0]) and "expected LABELS as 2 strings" in str(errors[1])


def test_pubmedqa_only_present_keys_go_to_metadata(tmp_path):
    f = tmp_path / "pqa.json"
    f.write_text(json.dumps({"1": {"CONTEXTS": ["Only text."], "LABELS": ["METHODS"]}}), encoding="utf-8")
    [doc] = list(PubMedQAConnector(f).iter_documents())
    assert doc.metadata == {"pmid": "1"} and doc.title == "" and doc.text.startswith("## Methods\n\nOnly text.")


def test_pubmedqa_malformed_and_wrong_shape_files(tmp_path):
    bad, wrong = tmp_path / "bad.json", tmp_path / "list.json"
    bad.write_text('{"1": {"QUESTION": "x",', encoding="utf-8")
    wrong.write_text("[1, 2]", encoding="utf-8")
    [e1] = list(PubMedQAConnector(bad).iter_documents())
    [e2] = list(PubMedQAConnector(wrong).iter_documents())
    [e3] = list(PubMedQAConnector(tmp_path / "missing.json").iter_documents())
    assert isinstance(e1, SourceError) and e1.source == str(bad) and "malformed JSON" in str(e1)
    assert isinstance(e2, SourceError) and "found list" in str(e2)
    assert isinstance(e3, SourceError) and e3.source == str(tmp_path / "missing.json")


def test_shared_medquad_niddk_collection():
    folder = shared_data("medquad/5_NIDDK_QA")
    docs, errors = _split(list(MedQuADConnector(folder).iter_documents()))
    assert errors == []
    assert len(docs) > 1000
    assert len({d.id for d in docs}) == len(docs)
    for d in docs:
        assert d.text.strip() and d.text.startswith(f"# {d.title}\n\n") and len(d.text) > len(d.title) + 4
        assert d.metadata["qtype"] and d.metadata["collection"] == "5_NIDDK_QA"
        assert d.source == "NIDDK" and d.domain == "healthcare" and d.uri.startswith("http")
    acro = next(d for d in docs if d.metadata["qid"] == "0000001-1")
    assert acro.id == "5_NIDDK_QA/0000001#1"
    assert acro.metadata["focus"] == "Acromegaly" and acro.metadata["umls_cuis"] == ["C0001206"]


def test_shared_pubmedqa_dev():
    path = shared_data("pubmedqa/pqal_dev.json")
    raw = json.loads(path.read_text(encoding="utf-8"))
    docs, errors = _split(list(PubMedQAConnector(path).iter_documents()))
    assert errors == [] and len(docs) == 500
    assert [d.id for d in docs] == list(raw)
    for d in docs:
        assert d.metadata["final_decision"] in {"yes", "no", "maybe"}
        assert d.title == raw[d.id]["QUESTION"] and d.text.startswith("## ")
        assert d.text.count("## ") >= len(raw[d.id]["CONTEXTS"])


def test_auto_detection_picks_the_healthcare_connectors(tmp_path):
    from assistant.connectors import connector_for

    folder = tmp_path / "5_NIDDK_QA"
    folder.mkdir()
    (folder / "0000042.xml").write_text(MEDQUAD_XML, encoding="utf-8")
    assert isinstance(connector_for(folder / "0000042.xml"), MedQuADConnector)
    # A folder is read file by file, each by the connector its content calls for.
    from_folder = [d for d in connector_for(folder).iter_documents() if not isinstance(d, Exception)]
    assert from_folder and all(d.id.startswith("5_NIDDK_QA/0000042#") for d in from_folder)
    pqa = tmp_path / "pqa.json"
    pqa.write_text('{"1": {"QUESTION": "q?", "CONTEXTS": ["c"], "LABELS": ["L"]}}', encoding="utf-8")
    assert isinstance(connector_for(pqa), PubMedQAConnector)
    assert not isinstance(connector_for(tmp_path / "other"), (MedQuADConnector, PubMedQAConnector))
