import gzip
from pathlib import Path

from assistant.connectors.pubmed import PubMedConnector, is_pubmed_file
from assistant.core.errors import SourceError
from assistant.core.types import Document
from assistant.ingest.chunking import SentenceChunker

# Shaped like an efetch / baseline file: DOCTYPE naming the NLM DTD by URL (must not be fetched),
# a labelled abstract with inline markup, a MedlineDate-only article, one without abstract,
# reference lists holding other PMIDs and DOIs, and a DeleteCitation as in the daily update files.
PUBMED_XML = """<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2024//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_240101.dtd">
<PubmedArticleSet>
<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">31452104</PMID>
    <Article PubModel="Print-Electronic">
      <Journal>
        <JournalIssue CitedMedium="Internet"><Volume>12</Volume>
          <PubDate><Year>2020</Year><Month>Jan</Month></PubDate></JournalIssue>
        <Title>The Lancet. Infectious diseases</Title>
        <ISOAbbreviation>Lancet Infect Dis</ISOAbbreviation>
      </Journal>
      <ArticleTitle>Metformin and <i>Helicobacter pylori</i> eradication: a randomised trial.</ArticleTitle>
      <ELocationID EIdType="doi" ValidYN="Y">10.1016/S1473-3099(19)30001-X</ELocationID>
      <Abstract>
        <AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">Eradication of <i>H. pylori</i> fails
          in 20% of patients.</AbstractText>
        <AbstractText Label="METHODS" NlmCategory="METHODS">We randomised 412 adults to metformin
          500 mg or placebo. Serum levels reached 10<sup>-6</sup> mol/L.</AbstractText>
        <AbstractText Label="RESULTS" NlmCategory="RESULTS">Eradication was <b>higher</b> with metformin.</AbstractText>
        <AbstractText Label="Conclusions and Relevance" NlmCategory="CONCLUSIONS">Metformin helps.</AbstractText>
        <CopyrightInformation>Copyright 2019 Elsevier Ltd. All rights reserved.</CopyrightInformation>
      </Abstract>
      <AuthorList CompleteYN="Y">
        <Author ValidYN="Y"><LastName>Nguyen</LastName><ForeName>Anh T</ForeName><Initials>AT</Initials></Author>
        <Author ValidYN="Y"><CollectiveName>H. pylori Study Group</CollectiveName></Author>
      </AuthorList>
      <PublicationTypeList>
        <PublicationType UI="D016449">Randomized Controlled Trial</PublicationType>
        <PublicationType UI="D016428">Journal Article</PublicationType>
      </PublicationTypeList>
      <ArticleDate DateType="Electronic"><Year>2019</Year><Month>08</Month><Day>23</Day></ArticleDate>
    </Article>
    <MeshHeadingList>
      <MeshHeading><DescriptorName UI="D006801" MajorTopicYN="N">Humans</DescriptorName></MeshHeading>
      <MeshHeading><DescriptorName UI="D016480" MajorTopicYN="Y">Helicobacter Infections</DescriptorName>
        <QualifierName UI="Q000188" MajorTopicYN="N">drug therapy</QualifierName></MeshHeading>
      <MeshHeading><DescriptorName UI="D008687" MajorTopicYN="N">Metformin</DescriptorName>
        <QualifierName UI="Q000627" MajorTopicYN="Y">therapeutic use</QualifierName></MeshHeading>
    </MeshHeadingList>
    <CommentsCorrectionsList><CommentsCorrections RefType="CommentIn"><PMID Version="1">99999999</PMID>
    </CommentsCorrections></CommentsCorrectionsList>
  </MedlineCitation>
  <PubmedData>
    <ArticleIdList><ArticleId IdType="pubmed">31452104</ArticleId>
      <ArticleId IdType="doi">10.1016/S1473-3099(19)30001-X</ArticleId></ArticleIdList>
    <ReferenceList><Reference><Citation>Other paper.</Citation>
      <ArticleIdList><ArticleId IdType="doi">10.1000/not-this-one</ArticleId></ArticleIdList></Reference>
    </ReferenceList>
  </PubmedData>
</PubmedArticle>
<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">10234567</PMID>
    <Article PubModel="Print">
      <Journal><JournalIssue CitedMedium="Print">
        <PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate></JournalIssue>
        <Title>Journal of clinical nursing</Title></Journal>
      <ArticleTitle>Hand hygiene on the ward.</ArticleTitle>
      <Abstract><AbstractText>Nurses washed their hands
        more often after training. Infections fell.</AbstractText></Abstract>
      <AuthorList><Author><LastName>Smith</LastName><ForeName>Jo</ForeName><Initials>J</Initials></Author></AuthorList>
      <PublicationTypeList><PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>
    </Article>
    <KeywordList Owner="NOTNLM"><Keyword MajorTopicYN="N">hand washing</Keyword></KeywordList>
  </MedlineCitation>
</PubmedArticle>
<PubmedArticle>
  <MedlineCitation Status="MEDLINE" Owner="NLM">
    <PMID Version="1">5550001</PMID>
    <Article PubModel="Print">
      <Journal><JournalIssue><PubDate><Year>1975</Year></PubDate></JournalIssue><Title>Lancet</Title></Journal>
      <ArticleTitle>Letter: on aspirin.</ArticleTitle>
    </Article>
  </MedlineCitation>
</PubmedArticle>
<DeleteCitation><PMID Version="1">123</PMID></DeleteCitation>
</PubmedArticleSet>
"""


def _split(items):
    docs = [i for i in items if isinstance(i, Document)]
    errors = [i for i in items if isinstance(i, Exception)]
    assert len(docs) + len(errors) == len(items)
    return docs, errors


def _write(tmp_path: Path, name: str = "pubmed.xml", xml: str = PUBMED_XML) -> Path:
    path = tmp_path / name
    path.write_text(xml, encoding="utf-8")
    return path


def test_pubmed_one_document_per_article_with_abstract(tmp_path):
    path = _write(tmp_path)
    connector = PubMedConnector(path)
    docs, errors = _split(list(connector.iter_documents()))
    assert errors == []
    assert [d.id for d in docs] == ["pmid:31452104", "pmid:10234567"]
    assert (connector.skipped, connector.ignored) == (1, 1)  # the letter without abstract; the DeleteCitation
    trial, nursing = docs
    assert trial.title == "Metformin and Helicobacter pylori eradication: a randomised trial."
    assert trial.text == ("## Background\n\nEradication of H. pylori fails in 20% of patients.\n\n"
                          "## Methods\n\nWe randomised 412 adults to metformin 500 mg or placebo. "
                          "Serum levels reached 10-6 mol/L.\n\n"
                          "## Results\n\nEradication was higher with metformin.\n\n"
                          "## Conclusions and Relevance\n\nMetformin helps.")
    assert "Copyright" not in trial.text
    assert (trial.uri, trial.domain, trial.source) == ("https://pubmed.ncbi.nlm.nih.gov/31452104/", "healthcare",
                                                       str(path))
    assert trial.metadata == {
        "pmid": "31452104", "journal": "The Lancet. Infectious diseases", "date": "2019-08-23", "year": "2019",
        "mesh": ["Humans", "Helicobacter Infections", "Metformin"],
        "mesh_major": ["Helicobacter Infections", "Metformin"],
        "authors": ["Nguyen AT", "H. pylori Study Group"], "doi": "10.1016/S1473-3099(19)30001-X",
        "publication_types": ["Randomized Controlled Trial", "Journal Article"], "keywords": []}
    assert nursing.text == "Nurses washed their hands more often after training. Infections fell."
    assert nursing.metadata["date"] == "1998-12" and nursing.metadata["year"] == "1998"
    assert nursing.metadata["medline_date"] == "1998 Dec-1999 Jan"
    assert nursing.metadata["keywords"] == ["hand washing"] and nursing.metadata["doi"] == ""
    assert nursing.metadata["authors"] == ["Smith J"] and nursing.metadata["mesh"] == []


def test_pubmed_pubdate_used_without_article_date(tmp_path):
    xml = PUBMED_XML.replace('<ArticleDate DateType="Electronic"><Year>2019</Year><Month>08</Month>'
                             '<Day>23</Day></ArticleDate>', "")
    [trial, _] = list(PubMedConnector(_write(tmp_path, xml=xml)).iter_documents())
    assert (trial.metadata["date"], trial.metadata["year"]) == ("2020-01", "2020")
    assert "medline_date" not in trial.metadata


def test_pubmed_labelled_sections_become_chunk_locators(tmp_path):
    trial, nursing = list(PubMedConnector(_write(tmp_path)).iter_documents())
    chunks = SentenceChunker().chunk(trial)
    assert [c.locator.section for c in chunks] == ["Background", "Methods", "Results", "Conclusions and Relevance"]
    assert all(trial.text[c.start:c.end] == c.text for c in chunks)
    assert "Serum levels reached 10-6 mol/L." in chunks[1].text
    assert [c.locator.section for c in SentenceChunker().chunk(nursing)] == [None]


def test_pubmed_gzip_files_in_a_folder(tmp_path):
    folder = tmp_path / "baseline"
    (folder / "2024").mkdir(parents=True)
    with gzip.open(folder / "2024" / "pubmed24n0001.xml.gz", "wt", encoding="utf-8") as f:
        f.write(PUBMED_XML)
    second = PUBMED_XML.replace("31452104", "31452105").replace("10234567", "10234568")
    _write(folder, "update.xml", second)
    (folder / "notes.txt").write_text("not read", encoding="utf-8")
    (folder / "other.json.gz").write_bytes(gzip.compress(b"{}"))
    connector = PubMedConnector(folder)
    docs, errors = _split(list(connector.iter_documents()))
    assert errors == []
    assert [d.id for d in docs] == ["pmid:31452104", "pmid:10234567", "pmid:31452105", "pmid:10234568"]
    assert docs[0].source.endswith("pubmed24n0001.xml.gz") and connector.skipped == 2
    # gzip is recognised by its magic bytes, whatever the name says
    renamed = _write(tmp_path, "renamed.xml", "")
    renamed.write_bytes(gzip.compress(PUBMED_XML.encode()))
    assert len(list(PubMedConnector(renamed).iter_documents())) == 2
    assert is_pubmed_file(folder / "2024" / "pubmed24n0001.xml.gz") and is_pubmed_file(renamed)


def test_pubmed_malformed_xml_reports_line_and_keeps_earlier_articles(tmp_path):
    cut = PUBMED_XML.index("<PubmedArticle>", PUBMED_XML.index("31452104"))
    broken = PUBMED_XML[:cut] + "<PubmedArticle><MedlineCitation></PubmedArticle>\n</PubmedArticleSet>\n"
    path = _write(tmp_path, "broken.xml", broken)
    docs, errors = _split(list(PubMedConnector(path).iter_documents()))
    assert [d.id for d in docs] == ["pmid:31452104"]
    [error] = errors
    line = broken[:broken.index("<PubmedArticle><MedlineCitation>")].count("\n") + 1
    assert isinstance(error, SourceError) and error.source == str(path)
    assert f"malformed XML at line {line}" in str(error) and "(articles read before it: 1)" in str(error)
    assert "Re-download" in str(error)


def test_pubmed_truncated_gzip_and_empty_file_are_errors(tmp_path):
    truncated = tmp_path / "cut.xml.gz"
    truncated.write_bytes(gzip.compress(PUBMED_XML.encode())[:400])
    empty = _write(tmp_path, "empty.xml", "")
    [cut] = list(PubMedConnector(truncated).iter_documents())
    [nothing] = list(PubMedConnector(empty).iter_documents())
    assert isinstance(cut, SourceError) and cut.source == str(truncated) and "gzip -t" in str(cut)
    assert isinstance(nothing, SourceError) and "malformed XML at the start of the file" in str(nothing)


def test_pubmed_other_xml_and_missing_parts(tmp_path):
    other = _write(tmp_path, "rss.xml", "<rss><channel/></rss>")
    [error] = list(PubMedConnector(other).iter_documents())
    assert "expected a PubMed <PubmedArticleSet>" in str(error) and "found <rss>" in str(error)
    no_pmid = _write(tmp_path, "nopmid.xml", "<PubmedArticleSet>\n<PubmedArticle><MedlineCitation><Article>"
                                             "<Abstract><AbstractText>x</AbstractText></Abstract></Article>"
                                             "</MedlineCitation></PubmedArticle></PubmedArticleSet>")
    [error] = list(PubMedConnector(no_pmid).iter_documents())
    assert error.source == f"{no_pmid}:2" and "expected <MedlineCitation> with a <PMID>" in str(error)
    [missing] = list(PubMedConnector(tmp_path / "nope.xml").iter_documents())
    assert "does not exist" in str(missing)
    empty_dir = tmp_path / "empty"
    empty_dir.mkdir()
    [none] = list(PubMedConnector(empty_dir).iter_documents())
    assert "found none" in str(none)
    assert not is_pubmed_file(other) and not is_pubmed_file(tmp_path / "nope.xml")


def test_pubmed_does_not_expand_entities_or_fetch_the_dtd(tmp_path):
    bomb = ('<?xml version="1.0"?><!DOCTYPE PubmedArticleSet [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;"><!ENTITY ext SYSTEM "file:///etc/passwd">]>'
            '<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>1</PMID><Article><ArticleTitle>T</ArticleTitle>'
            '<Abstract><AbstractText>x &b; &ext; y</AbstractText></Abstract></Article></MedlineCitation>'
            '</PubmedArticle></PubmedArticleSet>')
    docs, errors = _split(list(PubMedConnector(_write(tmp_path, "bomb.xml", bomb)).iter_documents()))
    assert errors == [] and len(docs) == 1
    assert "aaaaaaaaaa" not in docs[0].text and "root:" not in docs[0].text
