"""LangChainLoaderConnector with real langchain_community loaders, ingested into a real KB."""

from __future__ import annotations

import json
import warnings

from assistant.connectors.langchain_loader import LangChainLoaderConnector
from assistant.core.errors import SourceError
from assistant.core.types import Document
from tests.connectors.fixtures import make_pdf

with warnings.catch_warnings():
    # langchain-community warns on import that it is being sunset; the loaders themselves work.
    warnings.simplefilter("ignore", DeprecationWarning)
    from langchain_community.document_loaders import CSVLoader, PyPDFLoader, TextLoader

CSV = ("id,title,category,body\n"
       "A-1,Lease deposits,lease,The deposit is returned within thirty days of move-out.\n"
       "A-2,Confidentiality,nda,Both parties keep the other's information confidential for five years.\n"
       "A-3,Dosage,health,\"Adults take 500 mg twice daily, with meals.\"\n")


def split(items: list) -> tuple[list[Document], list[SourceError]]:
    return ([i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Exception)])


def test_csv_loader_rows_get_stable_row_ids_and_ingest(tmp_path, new_kb):
    path = tmp_path / "clauses.csv"
    path.write_text(CSV, encoding="utf-8")
    connector = LangChainLoaderConnector(CSVLoader(str(path), metadata_columns=["title", "category"]),
                                         domain="legal")
    docs, errors = split(list(connector.iter_documents()))
    assert errors == []
    assert [d.id for d in docs] == [f"{path}#row=0", f"{path}#row=1", f"{path}#row=2"]
    assert docs[0].title == "Lease deposits" and docs[0].domain == "legal" and docs[0].source == str(path)
    assert docs[0].metadata == {"user": {"source": str(path), "row": 0, "title": "Lease deposits", "category": "lease"}}
    assert "thirty days" in docs[0].text and "title" not in docs[0].text  # metadata columns left the content

    kb = new_kb()
    first = kb.ingest(connector.iter_documents())
    assert (first.documents_added, first.errors) == (3, [])
    # A second run of a fresh loader yields the same ids and content: nothing is re-embedded.
    again = kb.ingest(LangChainLoaderConnector(CSVLoader(str(path), metadata_columns=["title", "category"]),
                                               domain="legal").iter_documents())
    assert (again.documents_added, again.documents_updated, again.documents_unchanged) == (0, 0, 3)
    row = kb.catalog.conn.execute("SELECT metadata, domain FROM documents WHERE id = ?", (f"{path}#row=2",)).fetchone()
    assert json.loads(row[0])["user"]["category"] == "health" and row[1] == "legal"


def test_csv_loader_with_a_source_column_keeps_bare_ids(tmp_path):
    path = tmp_path / "clauses.csv"
    path.write_text(CSV, encoding="utf-8")
    docs, errors = split(list(LangChainLoaderConnector(CSVLoader(str(path), source_column="id")).iter_documents()))
    assert errors == [] and [d.id for d in docs] == ["A-1", "A-2", "A-3"]  # one document per source: no suffix


def test_text_loader_one_document_per_file(tmp_path, new_kb):
    path = tmp_path / "hypertension.md"
    path.write_text("# Hypertension\n\nBlood pressure above 130/80 mmHg — ясно и понятно.\n", encoding="utf-8")
    docs, errors = split(list(LangChainLoaderConnector(TextLoader(str(path), encoding="utf-8"),
                                                       domain="health").iter_documents()))
    assert errors == [] and [d.id for d in docs] == [str(path)]
    assert "ясно" in docs[0].text and docs[0].metadata == {"user": {"source": str(path)}}
    report = new_kb().ingest(iter(docs))
    assert (report.documents_added, report.errors) == (1, [])


def test_pdf_loader_pages_get_page_ids(tmp_path, new_kb):
    path = tmp_path / "policy.pdf"
    path.write_bytes(make_pdf(["Visitors sign in at the front desk.", "Masks are required in the ward."]))
    connector = LangChainLoaderConnector(PyPDFLoader(str(path)))
    docs, errors = split(list(connector.iter_documents()))
    assert errors == [] and [d.id for d in docs] == [f"{path}#page=0", f"{path}#page=1"]
    assert "front desk" in docs[0].text and docs[1].metadata["user"]["page"] == 1
    json.dumps([d.metadata for d in docs])  # every metadata value the loader gave is JSON-safe
    report = new_kb().ingest(connector.iter_documents())
    assert (report.documents_added, report.errors) == (2, [])


def test_missing_file_is_one_source_error(tmp_path, new_kb):
    missing = tmp_path / "nowhere.txt"
    items = list(LangChainLoaderConnector(TextLoader(str(missing))).iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    assert items[0].source == str(missing)
    assert "No such file" in str(items[0]) and "TextLoader" in str(items[0])

    report = new_kb().ingest(LangChainLoaderConnector(CSVLoader(str(tmp_path / "gone.csv"))).iter_documents())
    assert report.documents_added == 0 and len(report.errors) == 1
    assert report.errors[0]["source"] == str(tmp_path / "gone.csv") and "No such file" in report.errors[0]["error"]


def test_loader_failing_midway_keeps_what_it_read(tmp_path, new_kb):
    # Rows past the decoder's first buffer hold a byte that is not UTF-8: the loader raises after
    # yielding the first rows, and those rows must still reach the KB.
    path = tmp_path / "big.csv"
    # ~12 KB of ~240-byte rows: the first 8 KB decode (and are yielded) before the bad byte is reached.
    rows = "".join(f"R{i},Clause {i} says the tenant pays rent on day {i % 28 + 1} of each month. {'x' * 170}\n"
                   for i in range(50))
    path.write_bytes(b"id,body\n" + rows.encode("utf-8") + b"R-bad,caf\xe9 au lait\n")
    items = list(LangChainLoaderConnector(CSVLoader(str(path), encoding="utf-8")).iter_documents())
    docs, errors = split(items)
    assert 20 <= len(docs) < 50 and len(errors) == 1 and items[-1] is errors[0]
    assert "UnicodeDecodeError" in str(errors[0]) or "codec" in str(errors[0])
    report = new_kb().ingest(iter(items))
    assert report.documents_added == len(docs) and len(report.errors) == 1


def test_documents_without_id_or_text_are_reported_and_the_rest_go_on(tmp_path):
    empty, full = tmp_path / "empty.txt", tmp_path / "full.txt"
    empty.write_text("  \n", encoding="utf-8")
    full.write_text("Metformin is first-line therapy.", encoding="utf-8")

    items = list(LangChainLoaderConnector(TextLoader(str(empty))).iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError) and "only whitespace" in str(items[0])

    items = list(LangChainLoaderConnector(TextLoader(str(full)), id_key="doc_id").iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    assert "'doc_id'" in str(items[0]) and "['source']" in str(items[0])
