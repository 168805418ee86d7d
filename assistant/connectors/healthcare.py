"""Healthcare QA datasets: MedQuAD (NIH question/answer XML) and PubMedQA (JSON keyed by PubMed id)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from assistant.connectors.files import MAX_FILE_BYTES, read_json_file, source_files
from assistant.core.errors import SourceError
from assistant.core.types import Document

PUBMEDQA_MAX_BYTES = 200 * 1024 * 1024
DOMAIN = "healthcare"

# A few MedQuAD files (NINDS 0000007, CDC 0000397, ...) use another schema: <doc docid corpus>, <pair>,
# lower-case <question>/<answer>, <DiseaseFile fid>. Matching tags case-insensitively on these aliases
# reads them all with one code path instead of dropping them.
_PAIR, _QUESTION, _ANSWER = {"qapair", "pair"}, {"question"}, {"answer"}
_FOCUS, _CUI, _SEMTYPE = {"focus", "doctitle-focus"}, {"cui"}, {"semantictype"}


def _parser() -> etree.XMLParser:
    # Untrusted files: no entity expansion (billion laughs), no DTD or network fetches.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _named(root: Any, names: set[str]) -> Iterator[Any]:
    return (el for el in root.iter() if isinstance(el.tag, str) and el.tag.lower() in names)


def _text(el: Any) -> str:
    return "".join(el.itertext()) if el is not None else ""


def _paragraphs(text: str) -> str:
    """Collapse the source's indentation and line wrapping, but keep blank-line paragraph breaks."""
    paras = (" ".join(p.split()) for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paras if p)


class MedQuADConnector:
    """One Document per QA pair. `path` is one XML file, a collection folder (e.g. 5_NIDDK_QA) or the
    MedQuAD root (walked recursively, sorted). Pairs with an empty answer are skipped: MedQuAD removed
    answers from some collections for copyright reasons, so they are expected, not errors."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def iter_documents(self) -> Iterator[Document | Exception]:
        try:
            files = source_files(self.path, (".xml",), "expected a MedQuAD XML file or folder",
                                 "expected MedQuAD .xml files in this folder, found none")
        except SourceError as exc:
            yield exc
            return
        for file in files:
            yield from self._read(file)

    def _read(self, file: Path) -> Iterator[Document | Exception]:
        try:
            size = file.stat().st_size
            if size > MAX_FILE_BYTES:
                yield SourceError(str(file), f"file is {size / 1e6:.0f} MB, over the {MAX_FILE_BYTES // 10**6} MB "
                                             "limit; a MedQuAD file holds one topic and is a few KB")
                return
            root = etree.fromstring(file.read_bytes(), _parser())
        except etree.XMLSyntaxError as exc:
            yield SourceError(str(file), f"malformed XML, expected a MedQuAD <Document>: {exc}")
            return
        except OSError as exc:
            yield SourceError(str(file), f"could not read file: {exc}")
            return
        if not any(True for _ in _named(root, {"qapairs"})):
            yield SourceError(str(file), f"expected a MedQuAD <Document> with <QAPairs>, found <{root.tag}> "
                                         "without them; is this a MedQuAD file?")
            return
        doc_id = root.get("id") or root.get("docid") or root.get("fid") or ""
        focus = " ".join(_text(next(_named(root, _FOCUS), None)).split())
        common = {
            "focus": focus,
            "collection": file.parent.name,
            "umls_cuis": [c for c in (_text(e).strip() for e in _named(root, _CUI)) if c],
            "semantic_types": [t for t in (_text(e).strip() for e in _named(root, _SEMTYPE)) if t],
            "medquad_document_id": doc_id,
        }
        source = root.get("source") or root.get("corpus") or file.parent.name
        for index, pair in enumerate(_named(root, _PAIR), start=1):
            question_el = next(_named(pair, _QUESTION), None)
            answer = _paragraphs(_text(next(_named(pair, _ANSWER), None)))
            if not answer:
                continue
            question = " ".join(_text(question_el).split())
            pid = pair.get("pid") or str(index)
            # MedQuAD's qids repeat across collections (each restarts at 0000001-1) and even inside
            # CancerGov, so the id is built from the file; the qid stays in metadata.
            doc = f"{file.parent.name}/{file.stem}#{pid}"
            if not question:
                yield SourceError(f"{file}#{pid}", "expected a non-empty <Question> next to the answer, found none")
                continue
            qid = (question_el.get("qid") if question_el is not None else None) or ""
            yield Document(id=doc, title=question, text=f"# {question}\n\n{answer}", source=source,
                           uri=root.get("url") or "", domain=DOMAIN,
                           metadata={**common, "qid": qid, "qtype": question_el.get("qtype") or ""})


class PubMedQAConnector:
    """One Document per PubMed id: the abstract sections (CONTEXTS under their LABELS) as Markdown
    `## ` sections, so chunks get section locators. LONG_ANSWER (the abstract's conclusion) stays in
    metadata and out of the text, as in PubMedQA's reasoning-required setting."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def iter_documents(self) -> Iterator[Document | Exception]:
        where = str(self.path)
        try:
            data = read_json_file(self.path, PUBMEDQA_MAX_BYTES, "a PubMedQA JSON object keyed by PubMed id")
        except SourceError as exc:
            yield exc
            return
        if not isinstance(data, dict):
            yield SourceError(where, f"expected a JSON object keyed by PubMed id, found {type(data).__name__}")
            return
        for pmid, item in data.items():
            yield self._item(pmid, item)

    def _item(self, pmid: str, item: Any) -> Document | Exception:
        where = f"{self.path}#{pmid}"
        if not pmid.strip():
            return SourceError(where, "expected a PubMed id as the key, found an empty string")
        if not isinstance(item, dict):
            return SourceError(where, f"expected an object with QUESTION and CONTEXTS, found {type(item).__name__}")
        contexts, labels = item.get("CONTEXTS"), item.get("LABELS")
        if not isinstance(contexts, list) or not contexts or not all(isinstance(c, str) for c in contexts):
            return SourceError(where, f"expected CONTEXTS as a non-empty list of strings, found {contexts!r:.80}")
        if not isinstance(labels, list) or len(labels) != len(contexts) or not all(isinstance(x, str) for x in labels):
            return SourceError(where, f"expected LABELS as {len(contexts)} strings, one per context, "
                                      f"found {labels!r:.80}")
        text = "".join(f"## {label.title()}\n\n{context.strip()}\n\n" for label, context in zip(labels, contexts))
        question = item.get("QUESTION")
        fields = (("mesh", "MESHES"), ("year", "YEAR"), ("question", "QUESTION"),
                  ("long_answer", "LONG_ANSWER"), ("final_decision", "final_decision"))
        metadata = {"pmid": pmid, **{key: item[field] for key, field in fields if field in item}}
        return Document(id=pmid, title=str(question or ""), text=text, source="PubMedQA",
                        uri=f"https://pubmed.ncbi.nlm.nih.gov/{pmid}/" if pmid.isdigit() else "",
                        domain=DOMAIN, metadata=metadata)
