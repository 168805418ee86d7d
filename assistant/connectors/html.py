"""HTML → readable text with headings kept as Markdown headings (the chunker's section markers). Text a
reader never sees (comments, `<template>`, hidden or invisible elements: assistant/connectors/html_hidden.py) is
dropped here, so an instruction planted in it never reaches the index."""

from __future__ import annotations

import re

import lxml.html
from lxml import etree

from assistant.connectors.html_hidden import (
    Context,
    element_style,
    hidden_rules,
    inherit,
    removed,
)

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
    rules = [rule for style in root.iter("style") for rule in hidden_rules(style.text or "")]
    out: list[str] = []
    body = root.find("body")
    _walk(body if body is not None else root, out, Context(), rules)
    blocks = []
    for block in re.split(r"\n\s*\n", "".join(out)):
        block = " ".join(block.split())
        if block:
            blocks.append(block)
    if not title:
        h1 = next((b[2:] for b in blocks if b.startswith("# ")), "")
        title = h1
    return title, "\n\n".join(blocks) + "\n"


def _walk(el, out: list[str], parent: Context, rules) -> None:
    """Append the visible text inside `el` (not its tail: that belongs to the parent's context)."""
    if not isinstance(el.tag, str):  # comments and processing instructions
        return
    tag = el.tag.lower()
    decls = element_style(el, rules)
    if tag in _SKIP or removed(el, decls):
        return
    ctx = inherit(parent, decls)
    if tag in _HEADINGS:
        inner: list[str] = []
        _children(el, inner, ctx, rules)
        out.append("\n\n" + "#" * _HEADINGS[tag] + " " + " ".join("".join(inner).split()) + "\n\n")
        return
    if tag in _BLOCKS:
        out.append("\n\n")
    if tag == "li":
        out.append("- ")
    if tag == "br":
        out.append("\n\n")
    _children(el, out, ctx, rules)
    if tag in _BLOCKS:
        out.append("\n\n")


def _children(el, out: list[str], ctx: Context, rules) -> None:
    if el.text and not ctx.text_hidden:
        out.append(el.text)
    for child in el:
        _walk(child, out, ctx, rules)
        if child.tail and not ctx.text_hidden:
            out.append(child.tail)
