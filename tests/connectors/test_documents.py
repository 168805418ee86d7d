"""PDF, Word and CSV inputs, from fixtures written here and (where present) the shared CUAD PDFs."""

from assistant.connectors import CsvConnector, FileConnector, connector_for
from assistant.ingest.chunking import SentenceChunker
from tests.conftest import shared_data
from tests.connectors.fixtures import make_docx, make_encrypted_pdf, make_pdf


def _one(path):
    (item,) = list(FileConnector(path).iter_documents())
    return item


def test_pdf_pages_become_page_locators(tmp_path):
    f = tmp_path / "policy.pdf"
    f.write_bytes(make_pdf(["Page one talks about consent forms.", "Page two covers the retention period."]))
    doc = _one(f)
    assert not isinstance(doc, Exception), doc
    assert "consent forms" in doc.text and "retention period" in doc.text and doc.metadata["pages"] == 2
    chunks = SentenceChunker().chunk(doc)
    pages = {c.locator.page for c in chunks if "retention" in c.text}
    assert 2 in pages and chunks[0].locator.page == 1


def test_bad_pdfs_are_errors_not_crashes(tmp_path):
    cases = {"corrupt.pdf": b"%PDF-1.4 this is not really a pdf", "zero.pdf": b"", "blank.pdf": make_pdf([""])}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
    make_encrypted_pdf(tmp_path / "locked.pdf", ["Secret minutes."])
    reasons = {name: str(_one(tmp_path / name)) for name in [*cases, "locked.pdf"]}
    assert "not a readable PDF" in reasons["corrupt.pdf"]
    assert "empty" in reasons["zero.pdf"]
    assert "no extractable text" in reasons["blank.pdf"]
    assert "encrypted" in reasons["locked.pdf"]


def test_docx_headings_lists_and_tables(tmp_path):
    f = tmp_path / "handbook.docx"
    make_docx(f)
    doc = _one(f)
    assert doc.title == "Clinic Handbook"
    assert "## Opening Hours" in doc.text and "- Bring your insurance card" in doc.text
    assert "Saturday | 9-12" in doc.text and "### Fees" in doc.text
    fees = [c for c in SentenceChunker().chunk(doc) if "40 dollars" in c.text]
    assert fees and fees[0].locator.section == "Fees"
    (tmp_path / "broken.docx").write_bytes(b"PK\x03\x04 not a zip")
    assert "not a readable .docx" in str(_one(tmp_path / "broken.docx"))


def test_csv_records_with_mapping_and_bad_rows(tmp_path):
    f = tmp_path / "notes.csv"
    f.write_text('note_id;body;heading;ward\nN-1;"Patient stable; discharge planned.";Day 1;B\nN-2;;Day 2;B\n'
                 'N-3;Follow-up in 2 weeks.;Day 3;C;extra\n', encoding="utf-8")
    items = list(CsvConnector(f, id_field="note_id", text_field="body", title_field="heading").iter_documents())
    docs = [i for i in items if not isinstance(i, Exception)]
    errors = [i for i in items if isinstance(i, Exception)]
    assert [d.id for d in docs] == ["N-1"] and docs[0].metadata == {"user": {"ward": "B"}} and docs[0].title == "Day 1"
    assert len(errors) == 2 and "expected non-empty" in str(errors[0]) and "fields" in str(errors[1])
    missing = list(CsvConnector(f).iter_documents())
    assert len(missing) == 1 and "expected columns ['id', 'text']" in str(missing[0])
    assert isinstance(connector_for(f), CsvConnector)


def test_shared_cuad_pdfs_read_with_pages():
    folder = shared_data("cuad/full_contract_pdf")
    pdfs = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".pdf")[:2]
    for pdf in pdfs:
        doc = _one(pdf)
        assert not isinstance(doc, Exception), doc
        assert doc.metadata["pages"] >= 1 and len(doc.text) > 1000
        assert {c.locator.page for c in SentenceChunker().chunk(doc)} >= {1, 2}
