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


TOC_CONTRACT = """SOFTWARE LICENSE AGREEMENT

TABLE OF CONTENTS

1. Definitions .................................... 1
2. Grant of License ............................... 2
3. Governing Law .................................. 4

1. Definitions. "Software" means the Licensor's scheduling program, which the Licensee shall use.

2. Grant of License. The Licensor grants the Licensee a non-exclusive licence, which shall not be transferable.

3. Governing Law. This Agreement shall be governed by the laws of the State of New York.
"""


def _contents_lines_are_preamble(text):
    spans = clause_spans(text, 700, legal=True)
    first = spans[0]
    assert first[2].clause is None and "TABLE OF CONTENTS" in text[first[0]:first[1]]
    governing = [text[s:e].strip() for s, e, loc in spans if loc.clause == "3"]
    assert governing == [text[text.index("3. Governing Law. This"):].strip()]  # the clause, not its listing
    assert [loc.clause for _, _, loc in spans if loc.clause] == ["1", "2", "3"]


def test_a_table_of_contents_is_kept_out_of_clauses_and_locators():
    _contents_lines_are_preamble(TOC_CONTRACT)
    # without dot leaders or page numbers: a run of heading-only lines repeated later is contents too
    plain = TOC_CONTRACT
    for leader in (" .................................... 1", " ............................... 2",
                   " .................................. 4"):
        plain = plain.replace(leader, "")
    _contents_lines_are_preamble(plain)
    # flattened into one line by a PDF conversion
    flat = TOC_CONTRACT.replace("\n1. Definitions .................................... 1\n2. Grant of License "
                                "............................... 2\n3. Governing Law .................................. 4\n",
                                "\n1. DEFINITIONS 1 2. GRANT OF LICENSE 2 3. GOVERNING LAW 4\n")
    assert flat != TOC_CONTRACT
    _contents_lines_are_preamble(flat)


def test_a_schedule_of_amounts_or_a_plain_list_is_not_contents():
    from assistant.ingest.clauses import _contents_line

    assert not _contents_line("1.  Year 1. $[*****] 2.  Year 2 $[*****] 3.  Year 3 $[*****]")
    assert _contents_line("7. CONFIDENTIALITY; PUBLICITY 46 7.1 Confidentiality 46 7.2 Authorized Disclosure 47")
    # headings-only lines whose headings never come again are no contents list
    from assistant.ingest.clauses import _HEAD, _contents

    listed = "Schedule\n\n1. Scope\n2. Price\n3. Venue\n\n4. Term. The term shall be one year.\n"
    heads = [(m.start(), m) for m in _HEAD.finditer(listed)]
    assert len(heads) == 4 and _contents(listed, heads) == set()
    repeated = listed + "\n1. Scope. The scope is set out in Exhibit A.\n"
    assert len(_contents(repeated, [(m.start(), m) for m in _HEAD.finditer(repeated)])) == 0  # Price, Venue don't recur
    listed_again = repeated + "\n2. Price. The price is fixed.\n\n3. Venue. The venue is Boston.\n"
    assert len(_contents(listed_again, [(m.start(), m) for m in _HEAD.finditer(listed_again)])) == 3
