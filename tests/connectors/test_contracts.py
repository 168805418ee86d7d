"""Clause-aware contracts on the real CUAD contracts (text and PDF), skipped where ../shared is absent."""

import csv
import sys
from pathlib import Path

import pytest

from assistant.connectors import FileConnector
from assistant.ingest.chunking import SentenceChunker
from assistant.retrieval.retriever import HybridRetriever
from tests.conftest import shared_data

GOVERNING_LAW_QUERY = "Governing law: which state's or country's laws govern this agreement?"


def _governing_law() -> dict[str, str]:
    """CUAD file stem → its labelled Governing Law clause text."""
    csv.field_size_limit(sys.maxsize)
    with shared_data("cuad/master_clauses.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for row in rows:
        clause = row["Governing Law"].strip("[]'\" ")
        if clause:
            out[Path(row["Filename"]).stem] = clause.split("', '")[0]
    return out


def _read(path: Path):
    doc = next(iter(FileConnector(path).iter_documents()))
    assert not isinstance(doc, Exception), doc
    return doc


def test_cuad_pdfs_and_text_twins_carry_clause_locators():
    pdf_folder, txt_folder = shared_data("cuad/full_contract_pdf"), shared_data("cuad/full_contract_txt")
    pdfs = sorted(p for p in pdf_folder.iterdir() if p.suffix.lower() == ".pdf")
    assert len(pdfs) == 15
    structured = {"pdf": 0, "txt": 0}
    chunker = SentenceChunker()
    for pdf in pdfs:
        twin = txt_folder / (pdf.stem + ".txt")
        assert twin.exists(), twin
        for kind, path in (("pdf", pdf), ("txt", twin)):
            chunks = chunker.chunk(_read(path))
            clauses = [c for c in chunks if c.locator.clause]
            structured[kind] += len(clauses) >= 0.5 * len(chunks)
            if kind == "pdf":
                assert all(c.locator.page for c in chunks)  # every PDF passage cites its page
    # A few CUAD contracts have no numbered clauses at all (letters, schedules); most do.
    assert structured["pdf"] >= 11 and structured["txt"] >= 11, structured


@pytest.mark.slow
def test_governing_law_clause_is_retrieved_with_its_section_locator(new_kb):
    gold = _governing_law()
    folder = shared_data("cuad/full_contract_txt")
    stems = [p.stem for p in sorted(folder.glob("*.txt")) if p.stem in gold][:8]
    kb = new_kb()
    report = kb.ingest((d for s in stems for d in FileConnector(folder / f"{s}.txt").iter_documents()), domain="legal")
    assert report.documents_added == len(stems) and not report.errors
    retriever = HybridRetriever(kb)
    hits = retriever.search(GOVERNING_LAW_QUERY, k=200)
    found = 0
    for doc in kb.catalog.documents():
        stem = Path(doc.source).stem
        clause_start = " ".join(gold[stem].split())[:60]
        chunks = kb.catalog.chunks(kb.catalog.chunk_keys(doc.id)).values()
        holding = [c for c in chunks if clause_start in " ".join(c.text.split())]
        assert holding, f"{stem}: no chunk holds the labelled clause {clause_start!r}"
        doc_hits = [h for h in hits if h.chunk.doc_id == doc.id][:3]
        if any(h.chunk.id in {c.id for c in holding} and h.chunk.locator.label().startswith("§") for h in doc_hits):
            found += 1
    assert found >= len(stems) - 1, f"governing-law clause in the top 3 with a § locator for {found}/{len(stems)}"


def test_include_star_pdf_reads_all_fifteen_cuad_pdfs_whatever_the_case_of_their_extension():
    from assistant.connectors.registry import connector_for

    folder = shared_data("cuad/full_contract_pdf")  # 10 end in .PDF, 5 in .pdf
    docs = list(connector_for(folder, include=["*.pdf"]).iter_documents())
    assert [d for d in docs if isinstance(d, Exception)] == []
    assert len(docs) == 15 and all(d.text.strip() for d in docs)


def test_a_cuad_table_of_contents_no_longer_stands_in_for_the_clauses():
    from assistant.ingest.clauses import clause_spans

    folder = shared_data("cuad/full_contract_txt")
    text = (folder / "VAPOTHERM, INC. - Manufacturing and Supply Agreement.txt").read_text(encoding="utf-8")
    clauses = [loc.clause for _, _, loc in clause_spans(text, 1000, legal=True) if loc.clause]
    # its contents list (1.1 … 11.1, one line each) used to be parsed as the clauses, and the body's own
    # clauses were then refused as out of sequence: 33 clauses, no sub-clause
    assert len(clauses) > 60 and "3.2(a)" in clauses
