import base64
import gzip
import json
from pathlib import Path

from assistant.connectors.fhir import FHIRConnector, is_fhir_file, narrative_text
from assistant.core.errors import SourceError
from assistant.core.types import Document
from assistant.ingest.chunking import SentenceChunker
from tests.connectors.fixtures import make_pdf

XHTML = "http://www.w3.org/1999/xhtml"


def _b64(data: bytes | str) -> str:
    return base64.b64encode(data.encode("utf-8") if isinstance(data, str) else data).decode("ascii")


def _div(inner: str) -> dict:
    return {"status": "generated", "div": f'<div xmlns="{XHTML}">{inner}</div>'}


def _composition(**overrides) -> dict:
    res = {
        "resourceType": "Composition", "id": "discharge-1", "status": "final", "date": "2024-03-02T10:00:00Z",
        "type": {"coding": [{"system": "http://loinc.org", "code": "18842-5", "display": "Discharge summary"}]},
        "subject": {"reference": "urn:uuid:4f5c0c2a-0000-4000-8000-000000000001"},
        "author": [{"reference": "Practitioner/7", "display": "Dr. Ada Osei"}],
        "title": "Discharge summary: community-acquired pneumonia",
        "section": [
            {"title": "Hospital course",
             "code": {"coding": [{"system": "http://loinc.org", "code": "8648-8"}]},
             "text": _div("<p>Admitted with fever and a right lower lobe infiltrate.</p>"
                          "<p>Treated with IV ceftriaxone for three days; afebrile since day two.</p>")},
            {"title": "Plan",
             "section": [
                 {"title": "Medications",
                  "text": _div("<ul><li>Amoxicillin 1 g three times daily for 5 days</li>"
                               "<li>Paracetamol 1 g as needed</li></ul>"
                               "<table><tr><th>Drug</th><th>Dose</th></tr>"
                               "<tr><td>Amoxicillin</td><td>1 g</td></tr></table>")},
             ]},
        ],
    }
    res.update(overrides)
    return res


def _docref(rid: str, attachment: dict, **overrides) -> dict:
    res = {"resourceType": "DocumentReference", "id": rid, "status": "current",
           "type": {"coding": [{"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}]},
           "subject": {"reference": "Patient/123"}, "date": "2024-03-05T09:30:00Z",
           "author": [{"display": "Nurse Lee"}], "content": [{"attachment": attachment}]}
    res.update(overrides)
    return res


def _bundle() -> dict:
    resources = [
        ("urn:uuid:4f5c0c2a-0000-4000-8000-000000000001",
         {"resourceType": "Patient", "id": "123", "name": [{"family": "Doe"}]}),
        ("urn:uuid:comp", _composition()),
        ("https://ehr.example.org/fhir/DocumentReference/note-1", _docref(
            "note-1", {"contentType": "text/plain; charset=utf-8",
                       "data": _b64("Patient walked 200 m without oxygen.\nPlan: discharge tomorrow.")},
            description="Nursing progress note")),
        ("urn:uuid:pdf", _docref("letter-1", {"contentType": "application/pdf", "title": "Clinic letter",
                                              "data": _b64(make_pdf(["Dear colleague, the chest X-ray is clear.",
                                                                     "Follow-up in six weeks."]))})),
        ("urn:uuid:url", _docref("scan-1", {"contentType": "application/pdf",
                                            "url": "https://ehr.example.org/binary/scan-1.pdf"})),
        ("urn:uuid:obs", {"resourceType": "Observation", "id": "o1", "status": "final"}),
    ]
    return {"resourceType": "Bundle", "id": "b1", "type": "collection",
            "entry": [{"fullUrl": url, "resource": res} for url, res in resources]}


def _split(items):
    docs = [i for i in items if isinstance(i, Document)]
    errors = [i for i in items if isinstance(i, Exception)]
    assert len(docs) + len(errors) == len(items)
    return docs, errors


def _write(tmp_path: Path, data, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def _read(path: Path, **kwargs):
    connector = FHIRConnector(path, **kwargs)
    docs, errors = _split(list(connector.iter_documents()))
    return connector, {d.id: d for d in docs}, errors


def test_fhir_bundle_documents_ids_acl_and_counts(tmp_path):
    path = _write(tmp_path, _bundle())
    connector, docs, errors = _read(path)
    assert list(docs) == ["Composition/discharge-1", "DocumentReference/note-1", "DocumentReference/letter-1"]
    # the urn:uuid subject resolves to the Patient entry's id
    assert {d.acl for d in docs.values()} == {("patient:123",)}
    assert all(d.metadata["patient"] == "123" and d.domain == "healthcare" and d.source == str(path)
               for d in docs.values())
    assert connector.ignored == {"Patient": 1, "Observation": 1}
    [url_only] = errors
    assert isinstance(url_only, SourceError) and url_only.source == f"{path}#entry[4]"
    assert "DocumentReference/scan-1" in str(url_only) and "not embedded" in str(url_only)
    assert "https://ehr.example.org/binary/scan-1.pdf" in str(url_only) and "never fetched" in str(url_only)
    assert docs["DocumentReference/note-1"].uri == "https://ehr.example.org/fhir/DocumentReference/note-1"


def test_fhir_composition_sections_become_locators(tmp_path):
    _, docs, _ = _read(_write(tmp_path, _bundle()))
    comp = docs["Composition/discharge-1"]
    assert comp.title == "Discharge summary: community-acquired pneumonia"
    assert comp.text == (
        "## Hospital course\n\n"
        "Admitted with fever and a right lower lobe infiltrate.\n\n"
        "Treated with IV ceftriaxone for three days; afebrile since day two.\n\n"
        "## Plan\n\n"
        "### Medications\n\n"
        "- Amoxicillin 1 g three times daily for 5 days\n- Paracetamol 1 g as needed\n\n"
        "Drug | Dose\n\nAmoxicillin | 1 g\n")
    meta = {k: v for k, v in comp.metadata.items() if k != "structure"}
    assert meta == {"resource_type": "Composition", "id": "discharge-1", "status": "final",
                    "date": "2024-03-02T10:00:00Z", "type": "Discharge summary",
                    "subject": "urn:uuid:4f5c0c2a-0000-4000-8000-000000000001", "patient": "123",
                    "authors": ["Dr. Ada Osei"]}
    chunks = SentenceChunker().chunk(comp)
    # "Plan" has no narrative of its own: it is never a chunk alone, but names its subsection
    assert {c.locator.section for c in chunks} == {"Hospital course", "Plan > Medications"}
    assert all(comp.text[c.start:c.end] == c.text and c.acl == ("patient:123",) for c in chunks)
    meds = [c for c in chunks if c.locator.section == "Plan > Medications"]
    assert "Amoxicillin 1 g three times daily" in meds[0].text and "Hospital" not in meds[0].text


def test_fhir_document_references_text_and_pdf(tmp_path):
    _, docs, _ = _read(_write(tmp_path, _bundle()), acl_groups=("clinicians",))
    note = docs["DocumentReference/note-1"]
    assert note.title == "Nursing progress note"
    assert note.text == "Patient walked 200 m without oxygen.\nPlan: discharge tomorrow."
    assert note.acl == ("patient:123", "clinicians")
    assert note.metadata["format"] == "text" and note.metadata["type"] == "Progress note"
    assert note.metadata["authors"] == ["Nurse Lee"] and note.metadata["subject"] == "Patient/123"
    assert note.metadata["content_type"] == "text/plain; charset=utf-8" and note.metadata["date"].startswith("2024")
    letter = docs["DocumentReference/letter-1"]
    assert letter.title == "Clinic letter"  # no description: the attachment title
    assert "chest X-ray is clear" in letter.text and "Follow-up in six weeks" in letter.text
    assert letter.metadata["format"] == "pdf" and letter.metadata["pages"] == 2
    assert [c.locator.page for c in SentenceChunker().chunk(letter)] == [1, 2]


def test_fhir_attachment_choices_binary_html_and_problems(tmp_path):
    html = "<html><body><h2>Findings</h2><p>No fracture.</p><script>x()</script></body></html>"
    entries = [
        # same note twice: the plain-text rendition is preferred over the PDF
        _docref("two", {"contentType": "application/pdf", "data": _b64(make_pdf(["PDF version"]))},
                content=[{"attachment": {"contentType": "application/pdf", "data": _b64(make_pdf(["PDF"]))}},
                         {"attachment": {"contentType": "text/plain", "data": _b64("Text version.")}}]),
        _docref("html", {"contentType": "text/html", "data": _b64(html)}),
        _docref("bin", {"contentType": "text/markdown", "url": "Binary/b9"}, description=None),
        {"resourceType": "Binary", "id": "b9", "contentType": "text/markdown", "data": _b64("## Summary\n\nStable.")},
        _docref("img", {"contentType": "image/jpeg", "data": _b64(b"\xff\xd8")}),
        _docref("bad64", {"contentType": "text/plain", "data": "not base64!!"}),
        _docref("void", {"contentType": "text/plain", "data": _b64("wrong")}, status="entered-in-error"),
        _docref("group", {"contentType": "text/plain", "data": _b64("Ward note.")},
                subject={"reference": "Group/ward-3"}),
    ]
    bundle = {"resourceType": "Bundle", "type": "searchset",
              "entry": [{"resource": r} for r in entries] + [{"response": {"status": "200"}}]}
    connector, docs, errors = _read(_write(tmp_path, bundle))
    assert docs["DocumentReference/two"].text == "Text version."
    assert docs["DocumentReference/html"].text == "## Findings\n\nNo fracture.\n"
    assert [c.locator.section for c in SentenceChunker().chunk(docs["DocumentReference/html"])] == ["Findings"]
    assert docs["DocumentReference/bin"].text == "## Summary\n\nStable."
    assert docs["DocumentReference/bin"].title == "Progress note"  # no description: the type
    assert docs["DocumentReference/group"].acl == () and docs["DocumentReference/group"].metadata["patient"] == ""
    assert "DocumentReference/void" not in docs and connector.skipped == 1
    assert connector.ignored == {"Binary": 1, "(entry without resource)": 1}
    img, bad = errors
    assert "unsupported contentType 'image/jpeg'" in str(img) and "Expected content[].attachment" in str(img)
    assert "not valid base64" in str(bad)


def test_fhir_ndjson_single_resource_and_gzip(tmp_path):
    lines = [_docref("n1", {"contentType": "text/plain", "data": _b64("First note.")}),
             {"resourceType": "Patient", "id": "123"},
             _docref("n2", {"contentType": "text/plain", "data": _b64("Second note.")},
                     subject={"reference": "https://fhir.example.org/Patient/456/_history/3"})]
    ndjson = "\n".join(json.dumps(r) for r in lines) + "\n\n{broken\n"
    path = _write(tmp_path, ndjson, "DocumentReference.ndjson")
    connector, docs, errors = _read(path)
    assert list(docs) == ["DocumentReference/n1", "DocumentReference/n2"]
    assert docs["DocumentReference/n2"].acl == ("patient:456",) and connector.ignored == {"Patient": 1}
    [broken] = errors
    assert broken.source == f"{path}:5" and "malformed JSON" in str(broken) and "one FHIR resource per" in str(broken)
    gz = tmp_path / "export" / "DocumentReference.ndjson.gz"
    gz.parent.mkdir()
    gz.write_bytes(gzip.compress(ndjson.encode("utf-8")))
    _, gz_docs, _ = _read(gz.parent)
    assert list(gz_docs) == list(docs) and gz_docs["DocumentReference/n1"].source == str(gz)
    # NDJSON saved as .json, and one bare resource in a file
    _, as_json, _ = _read(_write(tmp_path, "\n".join(json.dumps(r) for r in lines), "export.json"))
    assert list(as_json) == list(docs)
    _, single, _ = _read(_write(tmp_path, _composition(), "comp.json"))
    assert list(single) == ["Composition/discharge-1"] and single["Composition/discharge-1"].acl == ()
    assert is_fhir_file(gz) and is_fhir_file(path) and not is_fhir_file(tmp_path / "missing.json")


def test_fhir_invalid_inputs_are_reported(tmp_path):
    bad = _write(tmp_path, '{"resourceType": "Bundle", "entry": [', "bad.json")
    other = _write(tmp_path, {"name": "package", "version": "1.0"}, "package.json")
    listed = _write(tmp_path, [1, 2], "list.json")
    no_text = _write(tmp_path, _composition(section=[{"title": "Empty", "entry": [{"reference": "Observation/1"}]}]),
                     "empty.json")
    no_id = _write(tmp_path, {"resourceType": "DocumentReference", "content": []}, "noid.json")
    for path, expected in [(bad, "malformed JSON (Expecting value at line 1"),
                           (other, 'expected a FHIR resource (a JSON object with "resourceType"), found an '
                                   "object with keys name, version"),
                           (listed, "found a JSON list"),
                           (no_text, "Composition/discharge-1 has no narrative text"),
                           (no_id, "expected DocumentReference.id")]:
        [error] = list(FHIRConnector(path).iter_documents())
        assert isinstance(error, SourceError) and error.source == str(path), path
        assert expected in str(error), str(error)
    assert "FHIR R4 JSON" in str(list(FHIRConnector(other).iter_documents())[0])
    [missing] = list(FHIRConnector(tmp_path / "nope").iter_documents())
    assert "does not exist" in str(missing)
    assert not is_fhir_file(other)


def test_fhir_composition_falls_back_to_resource_narrative(tmp_path):
    comp = _composition(section=None, text=_div("<p>Whole document narrative.</p>"), status="entered-in-error")
    connector, docs, errors = _read(_write(tmp_path, comp))
    assert (docs, errors, connector.skipped) == ({}, [], 1)
    comp["status"] = "final"
    _, docs, _ = _read(_write(tmp_path, comp))
    doc = docs["Composition/discharge-1"]
    assert doc.text == "Whole document narrative.\n"
    assert [c.locator.section for c in SentenceChunker().chunk(doc)] == [None]


def test_narrative_text_handles_malformed_and_unsafe_markup():
    assert narrative_text("<div><p>Open <b>para</p><br>next line</div>") == "Open para\n\nnext line"
    bomb = ('<!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY ext SYSTEM "file:///etc/passwd">]>'
            f'<div xmlns="{XHTML}"><p>x &a; &ext; y</p><!-- note --></div>')
    text = narrative_text(bomb)
    assert "aaaaaaaaaa" not in text and "root:" not in text and text.startswith("x")
    assert narrative_text("   ") == ""


def test_fhir_bundle_ingests_into_a_kb(tmp_path, new_kb):
    path = _write(tmp_path, _bundle())
    kb = new_kb()
    report = kb.ingest(FHIRConnector(path, acl_groups=("clinicians",)).iter_documents())
    assert report.documents_added == 3
    assert len(report.errors) == 1 and "not embedded" in report.errors[0]["error"]
    documents, chunks = kb.catalog.counts()
    assert documents == 3 and chunks >= 4
    keys = kb.catalog.chunk_keys("Composition/discharge-1")
    stored = kb.catalog.chunks(keys).values()
    assert {c.locator.section for c in stored} == {"Hospital course", "Plan > Medications"}
    assert all(c.acl == ("patient:123", "clinicians") for c in stored)
    again = kb.ingest(FHIRConnector(path, acl_groups=("clinicians",)).iter_documents())
    assert again.documents_unchanged == 3 and again.documents_added == 0
