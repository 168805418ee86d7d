from assistant.core.settings import ChunkingConfig
from assistant.core.types import Document
from assistant.ingest.chunking import SentenceChunker
from assistant.ingest.clauses import clause_spans

CONTRACT = """MASTER SERVICES AGREEMENT

This Master Services Agreement is made between Acme Health LLC and Northwind Clinics, Inc.

ARTICLE I
DEFINITIONS

1.1 Services. "Services" means the hosting services described in Exhibit A, which the Provider shall perform.

1.2 Fees. "Fees" means the amounts set out in Exhibit B.

ARTICLE II
OBLIGATIONS

2.1 Provider Obligations. The Provider shall:
(a) keep the platform available 99.9% of each month;
(b) notify the Customer of any incident within 24 hours; and
(c) keep backups for thirty days.

2.2 Customer Obligations. The Customer shall pay the Fees within 30 days. Late payments bear interest.

12.2 Governing Law. This stray number continues no sequence and is part of 2.2.

3. Term. This Agreement shall continue for two years. 4. Termination. Either party may terminate this Agreement on ninety days notice. In 2024 the parties shall meet.
"""


def _labels(text, legal=True, max_chars=700):
    return [(loc.clause, loc.section, text[s:e].split()[0]) for s, e, loc in clause_spans(text, max_chars, legal=legal)]


def test_numbered_headings_become_pinpoint_locators():
    labels = _labels(CONTRACT)
    # The article heading is no passage of its own: it opens its first clause's passage.
    assert ("1.1", "Services", "ARTICLE") in labels
    assert ("1.2", "Fees", "1.2") in labels
    assert ("2.1", "Provider Obligations", "ARTICLE") in labels
    assert ("2.2", "Customer Obligations", "2.2") in labels
    # Clauses run together on one line are still split, but only where the number continues the sequence.
    assert ("3", "Term", "3.") in labels and ("4", "Termination", "4.") in labels
    assert not any(c == "12.2" for c, _, _ in labels)


def test_spans_cover_the_text_in_order_without_overlap():
    spans = clause_spans(CONTRACT, 700, legal=True)
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    covered = "".join(CONTRACT[s:e] for s, e, _ in spans)
    assert covered.split() == CONTRACT.split()


def test_long_clause_splits_at_grouped_enumerations():
    labels = _labels(CONTRACT, max_chars=120)
    clauses = [c for c, _, _ in labels]
    # The lead-in "2.1 Provider Obligations. The Provider shall:" opens the first sub-clause's passage.
    assert "2.1" not in clauses
    first = next((s, e) for s, e, loc in clause_spans(CONTRACT, 120, legal=True) if (loc.clause or "").startswith("2.1(a)"))
    assert "2.1 Provider Obligations. The Provider shall:" in CONTRACT[first[0]:first[1]]
    assert "2.1(c)" in clauses
    assert all(s == "Provider Obligations" for c, s, _ in labels if c and c.startswith("2.1("))


def test_roman_and_letter_enumerations_nest():
    text = ("1. Definitions. Terms used here have these meanings.\n\n2. Payment. The Customer shall pay:\n"
            "(a) the Fees, which shall include:\n(i) hosting; and\n(ii) support;\n(b) taxes.\n\n"
            "3. Notices. Notices shall be in writing.\n")
    spans = clause_spans(text, 40, legal=True)
    clauses = [loc.clause for _, _, loc in spans]
    assert "2(a)(i)–(ii)" in clauses or {"2(a)(i)", "2(a)(ii)"} <= set(clauses)
    assert "2(b)" in clauses


def test_numbered_advice_in_a_health_leaflet_is_not_a_contract():
    leaflet = "How to lower blood pressure\n\n1. Eat less salt.\n\n2. Walk every day.\n\n3. Take your medicine.\n"
    assert clause_spans(leaflet, 700) == []
    chunks = SentenceChunker().chunk(Document(id="d", text=leaflet, domain="healthcare"))
    assert all(c.locator.clause is None for c in chunks)


def test_chunker_uses_clause_locators_for_plain_text_contracts():
    doc = Document(id="msa", title="Master Services Agreement", text=CONTRACT, domain="legal")
    chunks = SentenceChunker(ChunkingConfig(max_chars=300)).chunk(doc)
    term = next(c for c in chunks if "two years" in c.text)
    assert term.locator.label() == "§ 3 · Term"
    assert all(doc.text[c.start:c.end] == c.text for c in chunks)
    heading_only = [c for c in chunks if len(c.text) < 40]
    assert not heading_only, heading_only
