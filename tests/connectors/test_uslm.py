import re
from pathlib import Path

from assistant.connectors.uslm import USLMConnector, pinpoint
from assistant.core.errors import SourceError
from assistant.core.types import Document, Locator
from assistant.ingest.chunking import SentenceChunker
from tests.conftest import shared_data

BILL = """<?xml version="1.0" encoding="UTF-8"?>
<bill xmlns="http://schemas.gpo.gov/xml/uslm" xmlns:dc="http://purl.org/dc/elements/1.1/">
<meta><dc:title>117 HR 42 IH: To test pinpoint locators.</dc:title><dc:type>House Bill</dc:type>
<docNumber>42</docNumber><citableAs>117 HR 42 IH</citableAs><citableAs>117hr42ih</citableAs>
<docStage>Introduced in House</docStage><congress>117</congress><session>1</session></meta>
<preface><action><date date="2021-03-04">March 4, 2021</date><actionDescription><sponsor>Ms. Smith</sponsor>
(for herself and <cosponsor>Mr. Jones</cosponsor>) introduced the following bill; which was referred to the
<committee>Committee on Energy</committee></actionDescription></action></preface>
<main><longTitle><docTitle>A BILL</docTitle><officialTitle>To test pinpoint locators.</officialTitle></longTitle>
<enactingFormula>Be it enacted by the Senate and House of Representatives,</enactingFormula>
<section id="s1"><num value="1">SECTION 1. </num><heading>SHORT TITLE.</heading>
<content>This Act may be cited as the “<shortTitle role="act">Pinpoint Act</shortTitle>”.</content></section>
<title><num value="I">TITLE I—</num><heading class="inline">WATER GRANTS</heading>
<section><num value="101">SEC. 101. </num><heading>GRANTS TO STATES.</heading>
<subsection><num value="a">(a) </num><heading><inline class="smallCaps">In general</inline>.—</heading>
<chapeau>The Secretary shall make grants to States—</chapeau>
<paragraph><num value="1">(1) </num><content>to repair drinking water pipes in rural communities that lack the funds
to replace lead service lines; and</content></paragraph>
<paragraph><num value="2">(2) </num><content>to train operators,</content></paragraph>
<continuation>as the Secretary determines.</continuation></subsection>
<subsection><num value="b">(b) </num><heading><inline class="smallCaps">Limit</inline>.—</heading>
<content>A grant shall not exceed $5,000,000.</content></subsection>
<subsection changed="deleted"><num value="c">(c) </num><content>Struck text about oil.</content></subsection>
<subsection><num value="c">(c) </num><heading><inline class="smallCaps">Amendment</inline>.—</heading>
<content>Section 5 of the Water Act is amended by <deletedText>striking “yearly”</deletedText>adding at the end:
<quotedContent><section><num value="6">“SEC. 6. </num><heading>REPORTS.</heading>
<subsection><num value="a">“(a) </num><content>Each State shall report yearly.”</content></subsection>
</section></quotedContent><inline role="after-quoted-block">.</inline></content></subsection>
</section>
<section><num value="102">SEC. 102. </num><heading>REPORTS.</heading>
<subsection><num value="a">(a) </num><heading>Annual report.—</heading><content>Each State receiving a grant
under section 101 shall submit an annual report to the Secretary on the use of funds.</content></subsection>
<subsection><num value="b">(b) </num><heading>Contents.—</heading><chapeau>Each report shall include—</chapeau>
<paragraph><num value="1">(1) </num><content>the number of lead service lines replaced in the State, by county and
by the year in which they were installed, and the number left;</content></paragraph>
<paragraph><num value="2">(2) </num><content>the cost per household; and</content></paragraph>
<paragraph><num value="3">(3) </num><content>any lead found in water samples.</content></paragraph>
</subsection></section></title></main></bill>
"""

USC = """<?xml version="1.0" encoding="UTF-8"?>
<uscDoc xmlns="http://xml.house.gov/schemas/uslm/1.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
        identifier="/us/usc/t1">
<meta><dc:title>Title 1</dc:title><dc:type>USCTitle</dc:type><docNumber>1</docNumber>
<docPublicationName>Online@118-1</docPublicationName></meta>
<main><title identifier="/us/usc/t1"><num value="1">Title 1—</num><heading>GENERAL PROVISIONS</heading>
<chapter identifier="/us/usc/t1/ch1"><num value="1">CHAPTER 1—</num><heading>RULES OF CONSTRUCTION</heading>
<section identifier="/us/usc/t1/s1"><num value="1">§ 1.</num>
<heading>Words denoting number, gender, and so forth</heading>
<content><p>In determining the meaning of any Act of Congress, unless the context indicates otherwise—</p>
<p>words importing the singular include and apply to several persons, parties, or things;</p></content>
<sourceCredit>(July 30, 1947, ch. 388, 61 Stat. 633.)</sourceCredit>
<notes type="uscNote"><note topic="amendments"><heading>Amendments</heading>
<p>2012—Pub. L. 112–231 inserted text.</p></note></notes>
</section>
<section identifier="/us/usc/t1/s7"><num value="7">§ 7.</num><heading>Marriage</heading>
<subsection><num value="a">(a)</num><content>For the purposes of any Federal law, a marriage is valid
if valid in the State where entered into.</content></subsection>
<subsection><num value="b">(b)</num>
<content>In this section, the term “State” includes the District of Columbia.</content></subsection>
</section></chapter></title></main></uscDoc>
"""


def _one(path: Path, **options) -> Document:
    items = list(USLMConnector(path, **options).iter_documents())
    assert len(items) == 1 and isinstance(items[0], Document), items
    return items[0]


def _assert_tiles(doc: Document) -> None:
    """Structure spans are ordered, contiguous and cover the whole text exactly."""
    spans = doc.metadata["structure"]
    assert spans[0]["start"] == 0 and spans[-1]["end"] == len(doc.text)
    assert all(a["end"] == b["start"] for a, b in zip(spans, spans[1:]))
    assert all(s["start"] < s["end"] for s in spans)


def test_bill_text_metadata_and_exact_pinpoints(tmp_path):
    path = tmp_path / "BILLS-117hr42ih.xml"
    path.write_text(BILL, encoding="utf-8")
    doc = _one(path, group_chars=150)  # small groups so this short bill shows every grouping rule
    assert (doc.id, doc.title, doc.domain) == ("BILLS-117hr42ih", "117 HR 42 IH: To test pinpoint locators.", "legal")
    assert doc.text.startswith("A BILL\nTo test pinpoint locators.\nBe it enacted by the Senate and House of "
                               "Representatives,\n\nSECTION 1. SHORT TITLE.\nThis Act may be cited as the "
                               "“Pinpoint Act”.\n\nTITLE I—WATER GRANTS\n\nSEC. 101. GRANTS TO STATES.\n"
                               "(a) In general.—The Secretary shall make grants to States—\n(1) to repair")
    # struck-out text is left out; quoted law is text, its "SEC. 6." no section of this bill
    assert "oil" not in doc.text and "striking" not in doc.text and doc.metadata["omitted_deleted"] == 2
    assert ("(c) Amendment.—Section 5 of the Water Act is amended by adding at the end:\n“SEC. 6. REPORTS.\n"
            "“(a) Each State shall report yearly.”.\n\nSEC. 102. REPORTS.\n") in doc.text
    meta = {k: v for k, v in doc.metadata.items() if k != "structure"}
    assert meta == {
        "uslm_type": "bill", "congress": "117", "session": "1", "stage": "Introduced in House",
        "doc_type": "House Bill", "number": "42", "citation": "117 HR 42 IH", "sponsors": ["Ms. Smith"],
        "cosponsors": ["Mr. Jones"], "committees": ["Committee on Energy"], "date": "2021-03-04",
        "actions": [{"date": "2021-03-04", "description": "Ms. Smith (for herself and Mr. Jones) introduced the "
                     "following bill; which was referred to the Committee on Energy"}],
        "official_title": "To test pinpoint locators.", "short_titles": ["Pinpoint Act"], "format": "uslm",
        "omitted_deleted": 2}
    _assert_tiles(doc)
    chunks = SentenceChunker().chunk(doc)
    got = [(c.locator.clause, c.locator.section, c.text.splitlines()[0]) for c in chunks]
    assert got == [
        (None, "Long title", "A BILL"),
        ("1", "Short Title", "SECTION 1. SHORT TITLE."),
        # the title and section headings lead the first span; the chapeau belongs to (a), so it is cited as (a)
        ("101(a)", "Grants to States — In general", "TITLE I—WATER GRANTS"),
        ("101(a)", "Grants to States — In general", "as the Secretary determines."),  # (a)'s continuation
        ("101(b)", "Grants to States — Limit", "(b) Limit.—A grant shall not exceed $5,000,000."),
        ("101(c)", "Grants to States — Amendment",
         "(c) Amendment.—Section 5 of the Water Act is amended by adding at the end:"),
        ("102(a)", "Reports — Annual report", "SEC. 102. REPORTS."),  # a heading-only lead: cited as (a)
        ("102(b)", "Reports — Contents", "(b) Contents.—Each report shall include—"),
        ("102(b)(2)–(3)", "Reports — Contents", "(2) the cost per household; and"),  # small siblings together
    ]
    assert chunks[2].locator.label() == "§ 101(a) · Grants to States — In general"
    assert chunks[8].text == "(2) the cost per household; and\n(3) any lead found in water samples."
    assert pinpoint(chunks[4].locator) == "Sec. 101(b)" and pinpoint(chunks[0].locator) == ""
    assert pinpoint(Locator(clause="7(a)"), "§") == "§ 7(a)"


def test_default_grouping_keeps_a_short_section_whole_and_deleted_text_on_request(tmp_path):
    path = tmp_path / "b.xml"
    path.write_text(BILL, encoding="utf-8")
    doc = _one(path)
    assert [(s.get("clause"), s.get("section")) for s in doc.metadata["structure"]] == [
        (None, "Long title"), ("1", "Short Title"), ("101", "Grants to States"), ("102", "Reports")]
    with_deleted = _one(path, include_deleted=True)
    assert "Struck text about oil." in with_deleted.text and "striking “yearly”" in with_deleted.text
    assert with_deleted.metadata["omitted_deleted"] == 0
    _assert_tiles(with_deleted)


def test_us_code_title_with_house_namespace(tmp_path):
    path = tmp_path / "usc01.xml"
    path.write_text(USC, encoding="utf-8")
    doc = _one(path)
    assert (doc.id, doc.title) == ("usc01", "Title 1 — General Provisions")
    assert doc.metadata["identifier"] == "/us/usc/t1" and doc.metadata["uslm_type"] == "uscDoc"
    assert doc.text == (
        "Title 1—GENERAL PROVISIONS\n\nCHAPTER 1—RULES OF CONSTRUCTION\n\n"
        "§ 1. Words denoting number, gender, and so forth\n"
        "In determining the meaning of any Act of Congress, unless the context indicates otherwise—\n"
        "words importing the singular include and apply to several persons, parties, or things;\n"
        "(July 30, 1947, ch. 388, 61 Stat. 633.)\n\n"
        "§ 7. Marriage\n"
        "(a) For the purposes of any Federal law, a marriage is valid if valid in the State where entered into.\n"
        "(b) In this section, the term “State” includes the District of Columbia.")
    labels = [c.locator.label() for c in SentenceChunker().chunk(doc)]
    assert labels == ["§ 1 · Words denoting number, gender, and so forth", "§ 7 · Marriage"]
    assert "2012—Pub. L. 112–231 inserted text." in _one(path, include_notes=True).text


def test_malformed_wrong_root_and_missing_inputs_are_source_errors(tmp_path):
    (tmp_path / "a_bad.xml").write_text("<bill xmlns='http://schemas.gpo.gov/xml/uslm'><main><section>",
                                        encoding="utf-8")
    (tmp_path / "b_rss.xml").write_text("<rss><channel/></rss>", encoding="utf-8")
    (tmp_path / "c_nomain.xml").write_text("<bill xmlns='http://schemas.gpo.gov/xml/uslm'><meta/></bill>",
                                           encoding="utf-8")
    (tmp_path / "d_empty.xml").write_text("<bill xmlns='http://schemas.gpo.gov/xml/uslm'><main> </main></bill>",
                                          encoding="utf-8")
    (tmp_path / "e_good.xml").write_text(BILL, encoding="utf-8")
    items = list(USLMConnector(tmp_path).iter_documents())
    errors = [i for i in items if isinstance(i, SourceError)]
    assert [Path(e.source).name for e in errors] == ["a_bad.xml", "b_rss.xml", "c_nomain.xml", "d_empty.xml"]
    assert "malformed XML" in str(errors[0])
    assert "expected a USLM document" in str(errors[1]) and "found <rss> in no namespace" in str(errors[1])
    assert "expected a <main> element" in str(errors[2])
    assert "has no text" in str(errors[3])
    assert [i.id for i in items if isinstance(i, Document)] == ["e_good"]
    [missing] = list(USLMConnector(tmp_path / "nope").iter_documents())
    assert isinstance(missing, SourceError) and "does not exist" in str(missing)
    (tmp_path / "empty").mkdir()
    [none] = list(USLMConnector(tmp_path / "empty").iter_documents())
    assert isinstance(none, SourceError) and "found none" in str(none)


def test_entities_are_not_expanded(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE bill [<!ENTITY a "aaaaaaaaaa"><!ENTITY ext SYSTEM "file:///etc/passwd">]>'
            '<bill xmlns="http://schemas.gpo.gov/xml/uslm"><main><section><num value="1">SEC. 1. </num>'
            '<content>x &a; &ext; y</content></section></main></bill>')
    (tmp_path / "bomb.xml").write_text(bomb, encoding="utf-8")
    doc = _one(tmp_path / "bomb.xml")
    assert "aaaaaaaaaa" not in doc.text and "root:" not in doc.text


_SECTION_LINE = re.compile(r"^SEC(?:TION)?\. (\d+)\.", re.MULTILINE)  # not “SEC. in quoted law


def _shared_bills() -> dict[str, Document]:
    folder = shared_data("uslm")
    items = list(USLMConnector(folder).iter_documents())
    assert all(isinstance(i, Document) for i in items), items
    return {d.id: d for d in items}


def test_shared_bills_pinpoints_match_their_text():
    docs = _shared_bills()
    assert sorted(docs) == ["BILLS-110s2062ris", "BILLS-116s1014es", "BILLS-118s1325rs"]
    chunker = SentenceChunker()
    for doc in docs.values():
        assert doc.domain == "legal" and doc.title.startswith(doc.metadata["citation"] + ":")
        _assert_tiles(doc)
        chunks = chunker.chunk(doc)
        assert all(c.locator.clause for c in chunks if c.locator.section != "Long title")
        for chunk in chunks:  # a chunk never holds the start of another section than the one it cites
            if chunk.locator.clause:
                section = re.match(r"\d+", chunk.locator.clause).group()
                assert set(_SECTION_LINE.findall(chunk.text)) <= {section}, (chunk.locator, chunk.text[:200])
    by_clause = {}
    for chunk in chunker.chunk(docs["BILLS-118s1325rs"]):
        by_clause.setdefault(chunk.locator.clause, []).append(chunk)
    [sense] = by_clause["3(a)"]
    assert "It is the sense of Congress that the United States should strengthen security cooperation" in sense.text
    assert sense.locator.label() == ("§ 3(a) · Promoting Security and the Rule of Law in the Western Hemisphere "
                                     "— Sense of Congress")
    assert pinpoint(sense.locator) == "Sec. 3(a)"
    assert "It is the policy of the United States to promote" in by_clause["2"][0].text
    assert any("(4) enhance port management and maritime security" in c.text for c in by_clause["3(b)(4)–(7)"])
    assert "Western Hemisphere Partnership Act of 2023" in by_clause["1"][0].text


def test_shared_bills_metadata_deleted_and_quoted_text():
    docs = _shared_bills()
    rs = docs["BILLS-118s1325rs"]
    assert {k: rs.metadata[k] for k in ("congress", "session", "stage", "sponsors", "date", "short_titles")} == {
        "congress": "118", "session": "1", "stage": "Reported in Senate", "sponsors": ["Mr. Risch"],
        "date": "2023-05-04", "short_titles": ["Western Hemisphere Partnership Act of 2023"]}
    # the committee struck all after the enacting clause: the text is the reported version, once
    assert rs.text.count("SEC. 2. UNITED STATES POLICY") == 1 and rs.metadata["omitted_deleted"] == 1
    both = _one(shared_data("uslm/BILLS-118s1325rs.xml"), include_deleted=True)
    assert both.text.count("SECTION 1. SHORT TITLE.") == 2
    nahasda = docs["BILLS-110s2062ris"]
    chunks = SentenceChunker().chunk(nahasda)
    assert not any(c.locator.clause.startswith("703") for c in chunks if c.locator.clause)  # quoted "SEC. 703."
    quoted = [c for c in chunks if "an Indian organization representing the interests of Indian tribes" in c.text]
    assert quoted and all(c.locator.clause == "701" for c in quoted)
    deep = [c for c in chunks if c.locator.clause == "301(1)(B)"]  # a long clause of an amending list
    assert deep and deep[0].text.startswith("(B) by adding at the end the following:")


def test_shared_bill_in_a_knowledge_base_cites_the_section(new_kb):
    from assistant.retrieval.retriever import HybridRetriever

    kb = new_kb("uslm")
    # the smallest bill only: embedding all three on a small CPU takes half a minute
    report = kb.ingest(USLMConnector(shared_data("uslm/BILLS-116s1014es.xml")).iter_documents())
    assert report.errors == [] and report.documents_added == 1
    hits = HybridRetriever(kb).search("When does the Route 66 Centennial Commission terminate?", 3)
    top = hits[0].chunk
    assert top.doc_id == "BILLS-116s1014es" and top.locator.clause == "9", [h.chunk.locator for h in hits]
    assert "December 31, 2026" in top.text
