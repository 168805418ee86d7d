"""Clause structure of contracts in plain text or PDF text: numbered headings → pinpoint locators.

Recognised headings, at the start of a line: `ARTICLE IV`, `Section 4` / `Section 4.2` / `§ 4`,
`1.` / `2.3` / `12.2.1`, and enumerations `(a)`, `(i)`, `(1)`, `(A)` nested under them. A chunk then
cites "§ 12.2 · Governing Law" or "§ 4(c) · Confidential Information" instead of a bare offset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from string import capwords

from assistant.core.types import Locator

_HEAD = re.compile(
    r"^[^\S\n]*(?:"
    r"(?P<article>(?:ARTICLE|Article)[^\S\n]+(?P<anum>[IVXLC]+|\d{1,3})\b)[^\S\n]*[.:\-–—]?"
    r"|(?P<section>(?:SECTION|Section|§)[^\S\n]*(?P<snum>\d{1,3}(?:\.\d{1,3})*))\b\.?[^\S\n]*[.:\-–—]?"
    r"|(?P<num>\d{1,3}(?:\.\d{1,3})+)\.?(?=[^\S\n]+\S)"  # 2.3 Fees / 2.3. Fees
    r"|(?P<num1>\d{1,3})\.(?=[^\S\n]+\S|[^\S\n]*$)"  # 1. Services
    r"|\((?P<paren>[a-z]{1,2}|[ivxlc]{1,6}|\d{1,2}|[A-Z]{1,2})\)(?=[^\S\n]+\S)"
    r")[^\S\n]*", re.MULTILINE)
# Many real contracts (converted from PDF or HTML) run clauses together on one line: "... hereof. 4.
# PROMOTIONAL APPEARANCES. In addition ...". Such an inline number counts only when it is exactly the
# next number the structure expects, which ordinary numbers in prose ("pay 5. Then") almost never are.
_INLINE = re.compile(r"(?:[.:;)\"”][^\S\n]{1,4}|[^\S\n]{3,})(?P<num>\d{1,3}(?:\.\d{1,3})*)\.?[^\S\n]+(?=[A-Z(“\"])")
_TITLE_END = re.compile(r"[.:;]\s|[.:]$|\s\d{1,3}\.\d|$")
_SMALL_WORDS = {"and", "or", "of", "the", "to", "in", "for", "on", "a", "an", "by", "with", "at", "its", "as"}
_ROMAN = set("ivxlc")
# A table-of-contents line: a heading, dot leaders and a page number at the line's end.
_LEADERS = re.compile(r"(?:\.{3,}|…{2,}|(?:\.[^\S\n]){3,})[^\S\n]*\d{1,4}[^\S\n]*$")
_PAGE = re.compile(r"[^\S\n]+\d{1,4}[^\S\n]*$")
# Contents flattened into one line by PDF/HTML conversion: "1. DEFINITIONS 1 2. GOVERNANCE 10 2.1 Joint
# Steering Committee 10 …" — numbered titles each followed by a page number, three or more in a line.
_FLAT_ENTRY = re.compile(r"(?<!\S)\d{1,3}(?:\.\d{1,3})*\.?[^\S\n]+[A-Z][A-Za-z;,&'’()/\-]*(?:[^\S\n]+[A-Za-z;,&'’()/\-]+){0,9}"
                         r"[^\S\n]+\d{1,4}(?!\S)")
MIN_FLAT_ENTRIES = 3
MIN_TOC_RUN = 3  # consecutive heading-only lines whose headings all come again later: a contents list
MAX_TOC_LINE = 120
MAX_LEAD_IN = 200  # a clause's text before its first sub-clause, up to this long, joins that sub-clause
MIN_TOP_LEVEL = 3  # fewer numbered headings than this is a list, not a contract's structure


@dataclass
class _Node:
    start: int
    level: float  # article 0, numbers 1.. by depth, enumerations 10 + nesting depth
    style: str  # article | number | lower | roman | digit | upper
    token: str  # "IV", "12.2", "(a)"
    label: str  # the full pinpoint: "12.2", "4(c)(ii)"
    title: str = ""
    parent: "_Node | None" = None
    children: list["_Node"] = field(default_factory=list)
    end: int = 0  # end of this node's subtree

    @property
    def name(self) -> str:
        """The title people use for the clause: its own, else the nearest titled ancestor's."""
        node: _Node | None = self
        while node is not None:
            if node.title:
                return node.title
            node = node.parent
        return ""


def clause_spans(text: str, max_chars: int, *, legal: bool = False) -> list[tuple[int, int, Locator]]:
    """(start, end, locator) spans covering `text` in order, or [] when it has no clause structure.
    A clause that fits in `max_chars` stays whole; a longer one is split at its sub-clauses, and runs of
    small sibling enumerations are grouped ("8(a)–(c)") so pinpoints stay exact without tiny chunks."""
    root = _Node(start=0, level=-1, style="root", token="", label="")
    top = _parse(text, root)
    if top < MIN_TOP_LEVEL or not (legal or len(re.findall(r"\bshall\b", text)) >= 3):
        return []
    _close(root, len(text))
    spans: list[tuple[int, int, Locator]] = []
    first = root.children[0].start if root.children else len(text)
    if text[:first].strip():
        spans.append((0, first, Locator()))
    for child in root.children:
        _emit(child, text, max_chars, spans)
    return [(s, e, loc) for s, e, loc in spans if text[s:e].strip()]


def _parse(text: str, root: _Node) -> int:
    """Builds the heading tree under `root`; returns how many top-level numbered clauses were accepted."""
    stack: list[_Node] = [root]
    last_top: int | None = None
    accepted_top = 0
    heads = [(m.start(), m) for m in _HEAD.finditer(text) if _starts_paragraph(text, m.start())]
    contents = _contents(text, heads)
    heads = [(pos, m) for pos, m in heads if pos not in contents]
    line_starts = {pos for pos, _ in heads} | contents
    heads += [(m.start("num"), m) for m in _INLINE.finditer(text)
              if text.rfind("\n", 0, m.start("num")) + 1 != m.start("num") and m.start("num") not in line_starts]
    for pos, m in sorted(heads, key=lambda h: h[0]):
        inline = m.re is _INLINE
        rest_end = text.find("\n", m.end())
        rest = text[m.end(): rest_end if rest_end >= 0 else len(text)]
        if inline:
            parts = [int(p) for p in m.group("num").split(".")]
            if parts not in _expected(stack, last_top):
                continue
            number = m.group("num")
            if len(parts) == 1 or parts[0] != last_top:
                last_top = parts[0]
                accepted_top += 1
            node = _Node(pos, len(parts), "number", number, number, _title(rest))
        elif m.group("article"):
            node = _Node(m.start(), 0, "article", m.group("anum"), "", _article_title(m.group("anum"), rest, text, rest_end))
        elif m.group("paren"):
            style, token = _paren_style(m.group("paren"), stack), f"({m.group('paren')})"
            while stack[-1].style not in ("root", "article", "number") and stack[-1].style != style \
                    and _has_style(stack, style):
                stack.pop()
            if stack[-1].style == style:
                stack.pop()
            parent = stack[-1]
            if parent.style in ("root", "article"):
                continue  # an enumeration outside any numbered clause: a list, not a pinpoint
            level = 10 + sum(1 for n in stack if n.level >= 10)
            node = _Node(m.start(), level, style, token, parent.label + token, _title(rest))
            stack.append(node)
            parent.children.append(node)
            node.parent = parent
            continue
        else:
            number = m.group("snum") or m.group("num") or m.group("num1")
            parts = [int(p) for p in number.split(".")]
            keyword = bool(m.group("section"))
            if not keyword and not _plausible(parts, last_top):
                continue
            if len(parts) == 1 or parts[0] != last_top:
                last_top = parts[0]
                accepted_top += 1
            node = _Node(m.start(), len(parts), "number", number, number, _title(rest))
        while stack[-1].style != "root" and stack[-1].level >= node.level:
            stack.pop()
        node.parent = stack[-1]
        stack[-1].children.append(node)
        stack.append(node)
    return accepted_top


def _line(text: str, pos: int) -> str:
    end = text.find("\n", pos)
    return text[pos:end if end >= 0 else len(text)]


def _key(text: str, pos: int, m: re.Match) -> tuple[str, str]:
    """A heading as its number and first title words (dot leaders and page number dropped): what a
    contents line and the heading it lists share."""
    number = next((g for g in (m.group("anum"), m.group("snum"), m.group("num"), m.group("num1"), m.group("paren"))
                   if g), "")
    rest = _PAGE.sub("", _LEADERS.sub("", _line(text, pos)[m.end() - pos:]))
    return number, " ".join(re.findall(r"[a-z]+", _title(rest).lower()))


def _contents_line(line: str) -> bool:
    line = line.strip()
    if len(line) <= MAX_TOC_LINE and _LEADERS.search(line):
        return True
    # entries run together: at least three, and they are most of the line (not a schedule of amounts)
    entries = _FLAT_ENTRY.findall(line)
    return len(entries) >= MIN_FLAT_ENTRIES and sum(len(e) for e in entries) >= 0.6 * len(line)


def _contents(text: str, heads: list[tuple[int, re.Match]]) -> set[int]:
    """Start positions of headings that belong to a table of contents, so they never become clauses (a
    governing-law question would otherwise be cited "§ 5 · Governing Law" on the contents line, and a
    later real clause 5 would be refused as out of sequence): short lines with dot leaders and a page
    number, lines of three or more "number Title page" entries run together, and runs of MIN_TOC_RUN or
    more numbered heading-only lines (nothing between them) each listing a heading that comes again
    later with the same number and title."""
    toc = {pos for pos, _ in heads if _contents_line(_line(text, pos))}
    run: list[tuple[int, re.Match]] = []

    def close() -> None:
        if len(run) >= MIN_TOC_RUN:
            after = run[-1][0] + len(_line(text, run[-1][0]))
            later = {_key(text, pos, m) for pos, m in heads if pos >= after}
            keys = [_key(text, pos, m) for pos, m in run]
            if all(k[1] and k in later for k in keys):
                toc.update(pos for pos, _ in run)
        run.clear()

    for pos, m in heads:
        line = _line(text, pos).rstrip()
        heading_only = (not m.group("paren") and len(line) <= 90 and not line.endswith((".", ";", ",", ":"))
                        and not re.search(r"[.;:]\s+\S|\bshall\b", line[m.end() - pos:]))
        follows = bool(run) and not text[run[-1][0] + len(_line(text, run[-1][0])):pos].strip()
        if not (heading_only and (follows or not run)):
            close()
        if heading_only:
            run.append((pos, m))
    close()
    return toc


def _expected(stack: list[_Node], last_top: int | None) -> list[list[int]]:
    """The numbers that may come next: the next top-level clause, a first sub-clause of an open
    clause, or the next sibling at any open level."""
    out = [[(last_top or 0) + 1], [(last_top or 0) + 1, 1]]
    for node in stack:
        if node.style == "number":
            parts = [int(p) for p in node.label.split(".")]
            out += [parts + [1], parts[:-1] + [parts[-1] + 1]]
    return out


def _plausible(parts: list[int], last_top: int | None) -> bool:
    """Numbers that continue the sequence are headings; "2020." or "500." starting a line are not."""
    if last_top is None:
        return parts[0] <= 3 or len(parts) > 1 and parts[0] <= 30
    if len(parts) == 1:
        return parts[0] in (last_top + 1, 1) or 0 < parts[0] - last_top <= 2
    return parts[0] in (last_top, last_top + 1)


def _starts_paragraph(text: str, pos: int) -> bool:
    """A heading follows a blank line, the end of a sentence, or a short heading-like line; a line that
    merely continues a wrapped sentence ("...under Section\\n4.2 of ...") is not one."""
    line_start = text.rfind("\n", 0, pos) + 1
    if line_start == 0:
        return True
    prev = text[text.rfind("\n", 0, line_start - 1) + 1:line_start - 1].strip()
    return not prev or prev[-1] in '.:;!?")]' or len(prev) < 60 or prev.endswith((" and", " or"))


def _title(rest: str) -> str:
    """ "Governing Law. This Agreement ..." → "Governing Law"; a clause that starts with its text has none."""
    rest = rest.strip()
    if not rest or rest[0] in "\"'“(":
        return ""
    head = rest[:_TITLE_END.search(rest).start()].strip().rstrip(".:;")
    words = head.split()
    if not words or len(words) > 10 or len(head) > 90:
        return ""
    big = [w for w in words if w.lower() not in _SMALL_WORDS]
    if head.isupper() or (big and all(w[0].isupper() or not w[0].isalpha() for w in big)):
        return capwords(head) if head.isupper() and len(head) > 4 else head
    return ""


def _article_title(number: str, rest: str, text: str, rest_end: int) -> str:
    title = _title(rest)
    if not title and not rest.strip() and rest_end >= 0:
        nxt = text[rest_end + 1:].lstrip("\n").split("\n", 1)[0]
        title = _title(nxt) if not _HEAD.match(nxt) else ""
    return f"Article {number}" + (f" — {title}" if title else "")


def _paren_style(token: str, stack: list[_Node]) -> str:
    if token.isdigit():
        return "digit"
    if token.isupper():
        return "upper"
    lower = next((n for n in reversed(stack) if n.style == "lower"), None)
    # "(i)" after "(h)" is a letter; "(i)" anywhere else starts a roman list.
    if lower is not None and len(token) == 1 and ord(token) == ord(lower.token[1]) + 1:
        return "lower"
    return "roman" if set(token) <= _ROMAN else "lower"


def _has_style(stack: list[_Node], style: str) -> bool:
    return any(n.style == style for n in stack)


def _close(node: _Node, end: int) -> None:
    node.end = end
    for i, child in enumerate(node.children):
        _close(child, node.children[i + 1].start if i + 1 < len(node.children) else end)


def _locator(node: _Node, label: str | None = None) -> Locator:
    if node.style == "article":
        return Locator(section=node.title)
    return Locator(clause=label or node.label, section=node.name or None)


def _emit(node: _Node, text: str, max_chars: int, spans: list[tuple[int, int, Locator]]) -> None:
    whole = node.end - node.start <= max_chars and node.style != "article"  # an article is only a container
    if whole or not node.children:
        spans.append((node.start, node.end, _locator(node)))
        return
    first = node.children[0].start
    intro = text[node.start:first].strip()
    if len(intro) > MAX_LEAD_IN:
        spans.append((node.start, first, _locator(node)))
    lead = len(spans)
    group: list[_Node] = []

    def flush() -> None:
        if group:
            label = group[0].label if len(group) == 1 else f"{group[0].label}–{group[-1].token}"
            spans.append((group[0].start, group[-1].end, _locator(group[0], label)))
            group.clear()

    for child in node.children:
        small = child.end - child.start <= max_chars
        fits = group and child.end - group[0].start <= max_chars and child.style == group[0].style
        if small and child.level >= 10 and (not group or fits):
            group.append(child)
            continue
        flush()
        if small and child.level >= 10:
            group.append(child)
        else:
            _emit(child, text, max_chars, spans)
    flush()
    if 0 < len(intro) <= MAX_LEAD_IN and len(spans) > lead:
        # A heading and lead-in ("2.1 Provider Obligations. The Provider shall:") belong to the
        # first sub-clause's passage, not to a passage of their own.
        _, end, loc = spans[lead]
        spans[lead] = (node.start, end, loc)
