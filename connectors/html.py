"""HTML → readable text with headings kept as Markdown headings (the chunker's section markers)."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

_SKIP = {"script", "style", "noscript", "template", "nav", "footer", "header", "svg", "form", "head"}
_HEADINGS = {f"h{i}": i for i in range(1, 7)}
_BLOCKS = {"p", "div", "section", "article", "main", "aside", "ul", "ol", "li", "table", "tr", "td", "th",
           "blockquote", "pre", "dl", "dt", "dd", "figure", "figcaption", "address", "body"}


def html_to_text(html: str) -> tuple[str, str]:
    """(title, text). Raises ValueError when the markup holds no document."""
    try:
        root = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError) as exc:
        raise ValueError(f"not parseable as HTML ({exc})") from None
    title_el = root.find(".//title")
    title = " ".join(title_el.text_content().split()) if title_el is not None else ""
    out: list[str] = []
    body = root.find("body")
    _walk(body if body is not None else root, out)
    blocks = []
    for block in re.split(r"\n\s*\n", "".join(out)):
        block = " ".join(block.split())
        if block:
            blocks.append(block)
    if not title:
        h1 = next((b[2:] for b in blocks if b.startswith("# ")), "")
        title = h1
    return title, "\n\n".join(blocks) + "\n"


def _walk(el, out: list[str]) -> None:
    tag = el.tag.lower() if isinstance(el.tag, str) else ""
    if tag in _SKIP or not isinstance(el.tag, str):
        if el.tail:
            out.append(el.tail)
        return
    if tag in _HEADINGS:
        out.append("\n\n" + "#" * _HEADINGS[tag] + " " + " ".join(el.text_content().split()) + "\n\n")
    else:
        if tag in _BLOCKS:
            out.append("\n\n")
        if tag == "li":
            out.append("- ")
        if tag == "br":
            out.append("\n\n")
        if el.text:
            out.append(el.text)
        for child in el:
            _walk(child, out)
        if tag in _BLOCKS:
            out.append("\n\n")
    if el.tail:
        out.append(el.tail)
