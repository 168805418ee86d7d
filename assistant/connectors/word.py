"""Word .docx: paragraphs in order, headings as Markdown headings (sections), tables as rows."""

from __future__ import annotations

import zipfile
from pathlib import Path

from assistant.core.errors import SourceError

# A .docx is a zip: a small file can expand to gigabytes (a zip bomb) before python-docx parses it.
MAX_UNPACKED_BYTES = 500 * 1024 * 1024


def read_docx(path: Path) -> tuple[str, str, dict]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table
    from lxml import etree

    _check_unpacked_size(path)
    try:
        document = docx.Document(str(path))
        blocks = []
        for item in document.iter_inner_content():
            if isinstance(item, Table):
                for row in item.rows:
                    cells = [" ".join(c.text.split()) for c in row.cells]
                    if any(cells):
                        blocks.append(" | ".join(dict.fromkeys(cells)))  # merged cells repeat their text
                continue
            text = " ".join(item.text.split())
            if not text:
                continue
            style = (item.style.name if item.style is not None else "") or ""
            if style == "Title":
                blocks.append(f"# {text}")
            elif style.startswith("Heading") and style[7:].strip().isdigit():
                blocks.append("#" * min(6, int(style[7:]) + 1) + " " + text)
            elif style.startswith("List"):
                blocks.append(f"- {text}")
            else:
                blocks.append(text)
        title = (document.core_properties.title or "").strip()
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise SourceError(str(path), f"not a readable .docx file ({type(exc).__name__}: {exc}); "
                                     "re-save it from Word or LibreOffice") from None
    except etree.LxmlError as exc:  # malformed XML inside, or over lxml's limits ("huge tree")
        raise SourceError(str(path), f"not a readable .docx file: its XML is malformed or too large "
                                     f"({type(exc).__name__}: {exc}); re-save it from Word or LibreOffice") from None
    text = "\n\n".join(blocks)
    if not text.strip():
        raise SourceError(str(path), ".docx file has no text")
    if not title:
        title = next((b[2:] for b in blocks if b.startswith("# ")), "")
    return title, text + "\n", {"format": "docx"}


def _check_unpacked_size(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise SourceError(str(path), f"not a readable .docx file ({type(exc).__name__}: {exc}); "
                                     "re-save it from Word or LibreOffice") from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise SourceError(str(path), f".docx unpacks to {unpacked / 1e6:.0f} MB, over the "
                                     f"{MAX_UNPACKED_BYTES // 10**6} MB limit (a zip bomb?); split the document")
