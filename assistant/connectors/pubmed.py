"""PubMed/MEDLINE XML (NCBI efetch results, the annual baseline and daily update files, plain or .xml.gz):
one Document per <PubmedArticle>, its abstract with labelled parts as `## Label` sections."""

from __future__ import annotations

import gzip
import re
import zlib
from pathlib import Path
from typing import IO, Any, Iterator

from lxml import etree

from assistant.connectors.files import source_files
from assistant.core.errors import SourceError
from assistant.core.types import Document

DOMAIN = "healthcare"
ROOT_TAG = "PubmedArticleSet"
# Top-level records of a PubmedArticleSet. Only PubmedArticle becomes a Document; book chapters and the
# DeleteCitation lists of update files are counted in `ignored` and cleared like the rest.
_RECORDS = ("PubmedArticle", "PubmedBookArticle", "DeleteCitation")
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}
_MEDLINE_DATE = re.compile(r"(\d{4})(?:\s+([A-Za-z]{3}))?")


def is_pubmed_file(path: Path) -> bool:
    """True when the first KB of `path` (decompressed for .gz) look like a PubMed XML export."""
    try:
        with _open(path) as f:
            head = f.read(4096)
    except (OSError, EOFError, zlib.error):
        return False
    return b"<PubmedArticleSet" in head or b"<!DOCTYPE PubmedArticleSet" in head


def _open(path: Path) -> IO[bytes]:
    # Sniff the gzip magic instead of trusting the suffix: NCBI downloads are sometimes renamed.
    with path.open("rb") as f:
        magic = f.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else path.open("rb")


def _clean(el: Any) -> str:
    """The element's text with inline markup (<i>, <sup>, <b>, MathML) kept as plain text."""
    return " ".join("".join(el.itertext()).split()) if el is not None else ""


def _label(label: str) -> str:
    # NLM writes most labels in capitals ("BACKGROUND"); title-case them the way PubMedQAConnector
    # does, so the same abstract gets the same section names from either connector.
    label = " ".join(label.split())
    return label.title() if label.isupper() else label


def _month(value: str) -> int | None:
    value = value.strip().lower()
    if value.isdigit():
        return int(value) if 1 <= int(value) <= 12 else None
    return _MONTHS.get(value[:3])


def _ymd(el: Any) -> str:
    """ISO date from <Year>/<Month>/<Day>, as precise as the record is ("2019", "2019-03", "2019-03-07")."""
    year = (el.findtext("Year") or "").strip()
    if not re.fullmatch(r"\d{4}", year):
        return ""
    month = _month(el.findtext("Month") or "")
    if month is None:
        return year
    day = (el.findtext("Day") or "").strip()
    if day.isdigit() and 1 <= int(day) <= 31:
        return f"{year}-{month:02d}-{int(day):02d}"
    return f"{year}-{month:02d}"


def _dates(article: Any) -> dict[str, str]:
    """date/year: the electronic ArticleDate when present (always a full date), else the journal issue's
    PubDate, else its free-text MedlineDate ("1998 Dec-1999 Jan"), which is also kept verbatim."""
    for el in (article.find("ArticleDate"), article.find("Journal/JournalIssue/PubDate")):
        iso = _ymd(el) if el is not None else ""
        if iso:
            return {"date": iso, "year": iso[:4]}
    raw = " ".join((article.findtext("Journal/JournalIssue/PubDate/MedlineDate") or "").split())
    m = _MEDLINE_DATE.search(raw)
    if not m:
        return {"medline_date": raw} if raw else {}
    month = _month(m.group(2) or "")
    iso = f"{m.group(1)}-{month:02d}" if month else m.group(1)
    return {"date": iso, "year": m.group(1), "medline_date": raw}


def _author(el: Any) -> str:
    collective = _clean(el.find("CollectiveName"))
    if collective:
        return collective
    last, initials = _clean(el.find("LastName")), _clean(el.find("Initials"))
    return " ".join(p for p in (last, initials or _clean(el.find("ForeName"))) if p)


def _abstract(article: Any) -> str:
    """Labelled parts as `## Label` sections (the chunker's section locators); unlabelled ones as plain
    paragraphs. CopyrightInformation is left out: it is boilerplate, not content."""
    parts = []
    for el in article.iterfind("Abstract/AbstractText"):
        body = _clean(el)
        if not body:
            continue
        label = _label(el.get("Label") or "")
        parts.append(f"## {label}\n\n{body}" if label else body)
    return "\n\n".join(parts)


class PubMedConnector:
    """`path` is one PubMed XML file (.xml or .xml.gz) or a folder of them (walked recursively, sorted).
    Files are streamed with iterparse and each record is freed once read, so a baseline file of ~30,000
    articles needs no more memory than one article; that is why no whole-file size limit applies.

    After iteration, `skipped` counts articles without an abstract (about a third of MEDLINE: letters,
    editorials, old citations — expected, not errors) and `ignored` counts book articles and deletions."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.skipped = 0
        self.ignored = 0

    def iter_documents(self) -> Iterator[Document | Exception]:
        self.skipped = self.ignored = 0
        try:
            files = source_files(self.path, (".xml", ".xml.gz"),
                                 "expected a PubMed XML file (.xml, .xml.gz) or a folder of them",
                                 "expected PubMed .xml or .xml.gz files in this folder, found none; "
                                 "download them with efetch (rettype=xml) or from the baseline FTP")
        except SourceError as exc:
            yield exc
            return
        for file in files:
            yield from self._read(file)

    def _read(self, file: Path) -> Iterator[Document | Exception]:
        articles = 0
        try:
            with _open(file) as stream:
                # The same protections as healthcare._parser(): no entity expansion, DTD or network access
                # (every baseline file names the NLM DTD by URL; fetching it would be slow and leak).
                # A pull parser fed block by block: the articles before a syntax error are still read
                # (iterparse may parse ahead and raise before handing them out).
                parser = etree.XMLPullParser(events=("end",), tag=_RECORDS, resolve_entities=False,
                                             no_network=True, load_dtd=False, huge_tree=False)
                failure, root = None, None
                while failure is None:
                    block = stream.read(1 << 16)
                    try:
                        if block:
                            parser.feed(block)
                        else:
                            root = parser.close()
                    except etree.XMLSyntaxError as exc:
                        failure = exc
                    for _, el in parser.read_events():
                        if el.tag == "PubmedArticle":
                            articles += 1
                            item = self._article(el, file)
                            if item is not None:
                                yield item
                        else:
                            self.ignored += 1
                        # Free the record and the already-read siblings the root still holds.
                        el.clear(keep_tail=True)
                        while el.getprevious() is not None:
                            del el.getparent()[0]
                    if not block:
                        break
                if failure is not None:
                    raise failure
        except etree.XMLSyntaxError as exc:
            # libxml2 reports line 0 when the file holds no XML at all (empty, or cut before the root)
            where = (f"line {exc.lineno}, column {exc.position[1]}" if exc.lineno else "the start of the file")
            yield SourceError(str(file), f"malformed XML at {where}: {exc.msg}; expected a PubMed "
                                         f"<{ROOT_TAG}> (articles read before it: {articles}). "
                                         "Re-download the file: a partial download is the usual cause")
            return
        except (OSError, EOFError, zlib.error) as exc:
            yield SourceError(str(file), f"could not read file ({exc}); expected PubMed XML, plain or gzip "
                                         f"(articles read before it: {articles}). If it is .gz, check the "
                                         "download is complete with `gzip -t FILE` and re-download it")
            return
        if root is not None and root.tag != ROOT_TAG and not articles:
            yield SourceError(str(file), f"expected a PubMed <{ROOT_TAG}> (NCBI efetch or baseline XML), "
                                         f"found <{root.tag}>; use the connector for that format instead")

    def _article(self, el: Any, file: Path) -> Document | Exception | None:
        citation = el.find("MedlineCitation")
        # MedlineCitation/PMID, not .//PMID: comment/correction and reference lists hold other PMIDs.
        pmid = (citation.findtext("PMID") or "").strip() if citation is not None else ""
        article = citation.find("Article") if citation is not None else None
        if not pmid or article is None:
            return SourceError(f"{file}:{el.sourceline}", "expected <MedlineCitation> with a <PMID> and an "
                                                          "<Article>, found neither; the record is incomplete")
        text = _abstract(article)
        if not text:
            self.skipped += 1
            return None
        title = _clean(article.find("ArticleTitle")) or _clean(article.find("VernacularTitle"))
        journal = (_clean(article.find("Journal/Title")) or _clean(article.find("Journal/ISOAbbreviation"))
                   or _clean(citation.find("MedlineJournalInfo/MedlineTA")))
        doi = _clean(el.find("PubmedData/ArticleIdList/ArticleId[@IdType='doi']")) or \
            _clean(article.find("ELocationID[@EIdType='doi']"))
        mesh_major = []
        for heading in citation.iterfind("MeshHeadingList/MeshHeading"):
            name = _clean(heading.find("DescriptorName"))
            if name and any(q.get("MajorTopicYN") == "Y" for q in heading.iter("DescriptorName", "QualifierName")):
                mesh_major.append(name)
        metadata: dict[str, Any] = {
            "pmid": pmid,
            "journal": journal,
            **_dates(article),
            "mesh": [n for n in (_clean(d) for d in citation.iterfind("MeshHeadingList/MeshHeading/DescriptorName"))
                     if n],
            "mesh_major": mesh_major,
            "authors": [a for a in (_author(x) for x in article.iterfind("AuthorList/Author")) if a],
            "doi": doi,
            "publication_types": [t for t in (_clean(p) for p in
                                              article.iterfind("PublicationTypeList/PublicationType")) if t],
            "keywords": [k for k in (_clean(w) for w in citation.iterfind("KeywordList/Keyword")) if k],
        }
        return Document(id=f"pmid:{pmid}", title=title, text=text, source=str(file),
                        uri=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/", domain=DOMAIN, metadata=metadata)
