"""USLM XML (United States Legislative Markup): GPO bills and resolutions, US Code titles. One Document per
file; each section and nested level starts its own line with its num and heading.

`metadata["structure"]` locators: `clause` is the pinpoint without "Sec."/"§" ("3(a)(1)"; "3(b)(4)–(6)" for
a run of small siblings) as `Locator.label()` prints "§ " itself; `section` is the section heading and the
heading of the level the span starts in: "§ 3(a) · Promoting Security ... — Sense of Congress". A bill cites
that unit as "Sec. 3(a)"; `pinpoint(locator)` writes it so."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator

from lxml import etree

from assistant.connectors.files import source_files
from assistant.connectors.healthcare import _parser
from assistant.core.errors import SourceError
from assistant.core.types import Document, Locator

DOMAIN = "legal"
# A US Code title file (usc42.xml) is far larger than any text file the generic limit is for.
USLM_MAX_BYTES = 300 * 1024 * 1024
# Small sibling levels are kept together up to about one chunk of the default chunker (700 chars), so a
# chunk never mixes (a) and (b) unless both fit in it whole, and a long level still gets its own pinpoint.
GROUP_CHARS = 700
# A title/chapter heading (with its short table of contents) this short rides along with its first section
# instead of becoming a chunk of its own that only repeats words of the heading.
HEADING_LEAD_CHARS = 300

LEVELS = set("section subsection paragraph subparagraph clause subclause item subitem subsubitem level".split())
CONTAINERS = set("title subtitle chapter subchapter part subpart division subdivision article appropriations "
                 "collection component main".split())
# Block elements start a line; those in _ISOLATED also end theirs (a table-of-contents entry, a table row).
_ISOLATED = set("toc referenceItem p docTitle officialTitle enactingFormula tr li row".split())
_BLOCKS = _ISOLATED | {"quotedContent", "continuation", "sourceCredit", "note", "layout"}
_LINES = _BLOCKS | LEVELS | CONTAINERS
_SMALL_WORDS = set("a an and as at but by for from in into nor of on or the to with".split())
_DATE_TEXT = re.compile(r"([A-Z][a-z]+)\s+(\d{1,2}),\s+(\d{4})")


def _local(el: Any) -> str:  # "{namespace}section" → "section"; "" for comments and processing instructions
    return el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""


def _clean(text: str) -> str:
    return " ".join(text.split())


def _txt(el: Any) -> str:  # an element's whole text, whitespace collapsed; "" for a missing one
    return _clean("".join(el.itertext())) if el is not None else ""


def _find(el: Any, name: str) -> Any:
    return next(el.iter(f"{{*}}{name}"), None) if el is not None else None


def _heading_label(text: str) -> str:
    """'SHORT TITLE.' → 'Short Title'; 'Sense of Congress.—' → 'Sense of Congress' (for locators only)."""
    text = _clean(text).strip(" .—–-:;“”\"")
    words = text.lower().split() if text.isupper() else []
    return " ".join(w if i and w in _SMALL_WORDS else w[:1].upper() + w[1:] for i, w in enumerate(words)) or text


def pinpoint(locator: Locator, prefix: str = "Sec.") -> str:
    """'Sec. 3(a)(1)' for a USLM chunk's locator (use prefix '§' for the US Code); '' when it has none."""
    return f"{prefix} {locator.clause}" if locator.clause else ""


@dataclass
class _Node:
    """A section, level or container as it landed in the text, with [start, end) offsets."""

    kind: str
    start: int
    pin: str = ""  # its own designator: "3" for a section, "(a)" below one
    path: str = ""  # the full pinpoint: "3(a)(1)"
    section_label: str = ""  # the enclosing section's heading
    heading: str = ""  # its heading, or the nearest one above it inside the section
    head_end: int = 0  # where the num/heading line ends: a lead with nothing after it is heading-only
    end: int = 0
    children: list[_Node] = field(default_factory=list)

    @property
    def container(self) -> bool:
        return self.kind in CONTAINERS or self.kind == "root"

    @property
    def label(self) -> str:
        return " — ".join(x for x in (self.section_label, self.heading) if x)


class _Writer:
    """Accumulates readable text with whitespace collapsed, and records where each unit starts and ends."""

    def __init__(self, include_deleted: bool, include_notes: bool) -> None:
        self.parts: list[str] = []
        self.pos, self.newlines, self.space = 0, 2, False  # 2 newlines "written": the text starts with no break
        self.include_deleted, self.include_notes = include_deleted, include_notes
        self.omitted_deleted = 0
        self.quoted = 0  # depth inside quotedContent: amendatory text is rendered, never made structure
        self.stack: list[_Node] = [_Node("root", 0, heading="Long title")]

    def put(self, text: str) -> None:
        words = text.split()
        if not words:
            self.space = self.space or (bool(text) and self.newlines == 0)
            return
        piece = " ".join(words)
        if (self.space or text[0].isspace()) and self.newlines == 0:
            piece = " " + piece
        self.parts.append(piece)
        self.pos += len(piece)
        self.newlines, self.space = 0, text[-1].isspace()

    def brk(self, count: int = 1) -> None:
        self.space = False
        if self.newlines < count:
            self.parts.append("\n" * (count - self.newlines))
            self.pos += count - self.newlines
            self.newlines = count

    def emit(self, el: Any) -> None:
        name = _local(el)
        if el.get("changed") == "deleted" or name == "deletedText":
            self.omitted_deleted += not self.include_deleted
            name = name if self.include_deleted else ""
        if name == "notes" and not self.include_notes:
            name = ""
        if name in LEVELS or name in CONTAINERS:
            self.unit(el, name)
        elif name:
            if name in _BLOCKS:
                self.brk()
            self.quoted += name == "quotedContent"
            self.put(el.text or "")
            for child in el:
                self.emit(child)
            self.quoted -= name == "quotedContent"
            if name in _ISOLATED:
                self.brk()
            elif name in {"td", "th", "entry"}:
                self.put(" ")
        # Pretty-printing whitespace after a line-level element is not a space in the text ("yearly.”.").
        self.put((el.tail or "").strip() if name in _LINES else el.tail or "")

    def unit(self, el: Any, name: str) -> None:
        num_el = next((c for c in el if _local(c) == "num"), None)
        head_el = next((c for c in el if _local(c) == "heading"), None)
        if name in CONTAINERS and num_el is None and head_el is None:
            self.body(el)  # <collection>, <component>, a nested <main>: wrappers, not a level of the law
            return
        big = name == "section" or name in CONTAINERS
        if "inline" in (el.get("class") or "").split():
            self.space = True  # "(iii)(I) would help ...": printed run-in after its parent's num
        else:
            self.brk(2 if big and not self.quoted else 1)
        node, parent = _Node(name, self.pos), self.stack[-1]
        num, heading = _txt(num_el), _txt(head_el)
        if num:
            self.put(num)
            self.space = not num.endswith(("—", "–", "-"))
        if heading:  # "(a) Definitions" runs into its text as printed: "(a) Definitions.—In this section"
            self.put(heading + (".—" if heading[-1].isalnum() and not big else ""))
            self.space = heading.endswith(".")
        self.put(_clean(" ".join(e.tail or "" for e in (num_el, head_el) if e is not None)))
        if big:
            self.brk()  # a section's or title's text starts under its heading, as printed
        if self.quoted:  # quoted law is text of the amending unit, not a unit of this document
            self.body(el)
            return
        node.pin, node.head_end = _designator(num_el, name), self.pos
        if name == "section":
            node.path, node.section_label = node.pin, _heading_label(heading)
        elif name in CONTAINERS:
            node.heading = " — ".join(x for x in (_heading_label(node.pin), _heading_label(heading)) if x)
        else:
            node.path, node.section_label = parent.path + node.pin, parent.section_label
            node.heading = _heading_label(heading) or parent.heading
        parent.children.append(node)
        self.stack.append(node)
        self.body(el)
        node.end = self.pos
        self.stack.pop()

    def body(self, el: Any) -> None:
        self.put((el.text or "").strip() if _local(el) in LEVELS | CONTAINERS else el.text or "")
        for child in el:
            if _local(child) not in {"num", "heading"}:  # written with the unit's first line, tails too
                self.emit(child)


def _designator(num_el: Any, name: str) -> str:
    text = _txt(num_el).strip("“”\" ")
    value = (num_el.get("value") or "").strip() if num_el is not None else ""
    if name == "section":
        return value or re.sub(r"^(?i:section|sec\.?|§+)\s*", "", text).rstrip(".—– ")
    if name in CONTAINERS:
        return text.rstrip("—–-:. ")
    m = re.match(r"^\(([^()\s]+)\)", text)
    return f"({m.group(1)})" if m else (f"({value})" if value else "")


def _loc(node: _Node) -> dict[str, Any]:
    return {k: v for k, v in (("section", node.label), ("clause", node.path)) if v}


def _plan(node: _Node, text: str, group_chars: int) -> list[tuple[int, dict[str, Any]]]:
    """Cut points (start, locator) inside `node`; each span runs to the next cut. Siblings are merged
    while together they fit in `group_chars`; a level too long for that gets its own cuts, recursively."""
    if not node.container and (node.end - node.start <= group_chars or not node.children):
        return [(node.start, _loc(node))]
    # Segments in text order: own text (lead, text between levels, continuation) and child levels.
    segments: list[tuple[int, int, _Node | None]] = []
    pos = node.start
    for child in node.children:
        if text[pos:child.start].strip():
            segments.append((pos, child.start, None))
        segments.append((child.start, child.end, child))
        pos = child.end
    if text[pos:node.end].strip():
        segments.append((pos, node.end, None))
    cuts: list[tuple[int, dict[str, Any]]] = []
    group: list[tuple[int, int, _Node | None]] = []
    pending: list[tuple[int, bool]] = []  # a short opening waiting to lead the next span; heading-only?

    def add(new: list[tuple[int, dict[str, Any]]]) -> None:
        if pending and new:
            start, heading_only = pending.pop()
            # A chapeau ("The Secretary shall—") belongs to this level, so the span is cited as it.
            new[0] = (start, new[0][1] if heading_only else _loc(node))
        cuts.extend(new)

    def close() -> None:
        if not group:
            return
        start, end, child = group[0]
        if len(group) == 1 and child is None and start == node.start and end - start <= HEADING_LEAD_CHARS:
            pending.append((start, not text[node.head_end:end].strip()))  # alone: a chunk of "SEC. 3. HEADING."
        else:
            add([(start, _group_loc(node, group, text))])
        group.clear()

    for seg in segments:
        start, end, child = seg
        if node.container:  # sections are never merged; a short title heading leads its first section
            if child is not None:
                add(_plan(child, text, group_chars))
            elif node.kind != "root" and end - start <= HEADING_LEAD_CHARS and not pending:
                pending.append((start, True))
            else:
                add([(start, _loc(node))])
        elif group and end - group[0][0] <= group_chars:
            group.append(seg)
        elif child is not None and end - start > group_chars:
            close()
            add(_plan(child, text, group_chars))
        else:
            close()
            group.append(seg)
    close()
    if pending:  # nothing followed the opening: it is the span
        cuts.append((pending.pop()[0], _loc(node)))
    return cuts


def _group_loc(node: _Node, group: list[tuple[int, int, _Node | None]], text: str) -> dict[str, Any]:
    kids = [child for _, _, child in group if child is not None]
    own = [(start, end) for start, end, child in group if child is None]
    # "SEC. 3. HEADING." followed only by (a): the span is about 3(a), the heading just opens it.
    heading_only = bool(kids) and own == [(node.start, kids[0].start)] and not text[node.head_end:kids[0].start].strip()
    if own and not heading_only:
        return _loc(node)  # the level's own text (chapeau, continuation) is in the span
    if len(kids) == 1:
        return _loc(kids[0])
    return {**_loc(node), "clause": f"{node.path}{kids[0].pin}–{kids[-1].pin}"}


def structure_spans(text: str, root: _Node, group_chars: int = GROUP_CHARS) -> list[dict[str, Any]]:
    """`metadata["structure"]` for the chunker: contiguous, ordered spans tiling [0, len(text))."""
    cuts = [c for c in _plan(root, text, group_chars) if c[0] < len(text)]
    cuts[0] = (0, cuts[0][1])  # the caller checked the text is not blank, so the root gave a cut
    return [{"start": start, "end": nxt[0], **loc}
            for (start, loc), nxt in zip(cuts, cuts[1:] + [(len(text), {})]) if nxt[0] > start]


class USLMConnector:
    """One Document per USLM file (a bill, resolution, public law or US Code title). `path` is a file or a
    folder of .xml files. Text struck out by a committee (changed="deleted", <deletedText>) is left out
    unless `include_deleted`, so a reported bill reads as its proposed version; US Code editorial
    <notes> are left out unless `include_notes` (the law text and source credits are kept)."""

    def __init__(self, path: str | Path, include_deleted: bool = False, include_notes: bool = False,
                 group_chars: int = GROUP_CHARS) -> None:
        self.path = Path(path)
        self.include_deleted, self.include_notes, self.group_chars = include_deleted, include_notes, group_chars

    def iter_documents(self) -> Iterator[Document | Exception]:
        try:
            files = source_files(self.path, (".xml",), "expected a USLM .xml file or a folder of them",
                                 "expected USLM .xml files in this folder, found none")
        except SourceError as exc:
            yield exc
            return
        for file in files:
            try:
                yield self.read(file)
            except SourceError as exc:
                yield exc

    def read(self, file: Path) -> Document:
        """The Document for one file; raises SourceError when it is not readable USLM."""
        where = str(file)
        try:
            size = file.stat().st_size
            if size > USLM_MAX_BYTES:
                raise SourceError(where, f"file is {size / 1e6:.0f} MB, over the {USLM_MAX_BYTES // 10**6} MB "
                                         "limit for one USLM file; split the title into chapters")
            root = etree.fromstring(file.read_bytes(), _parser())
        except etree.XMLSyntaxError as exc:
            raise SourceError(where, f"malformed XML, expected a USLM <bill> or <uscDoc>: {exc}") from None
        except OSError as exc:
            raise SourceError(where, f"could not read file: {exc}") from None
        namespace = etree.QName(root).namespace or ""
        if "uslm" not in namespace.lower():
            found = f"<{_local(root)}> in {namespace or 'no namespace'}"
            raise SourceError(where, f"expected a USLM document (<bill>, <uscDoc>, ... in a USLM namespace such as "
                                     f"http://schemas.gpo.gov/xml/uslm), found {found}; older bill XML with "
                                     "<legis-body> is not USLM: download the USLM version from govinfo.gov")
        if (main := _find(root, "main")) is None:
            raise SourceError(where, f"expected a <main> element with the legislative text in <{_local(root)}>, "
                                     "found none; is the file cut short?")
        writer = _Writer(self.include_deleted, self.include_notes)
        writer.body(main)
        text = "".join(writer.parts).rstrip()
        writer.stack[0].end = len(text)
        if not text:
            raise SourceError(where, "the USLM <main> element has no text (everything in it was struck "
                                     "out or empty); pass include_deleted=True to read struck-out text")
        metadata = _metadata(root)
        metadata.update(format="uslm", omitted_deleted=writer.omitted_deleted,
                        structure=structure_spans(text, writer.stack[0], self.group_chars))
        return Document(id=file.stem, text=text, title=_title(root, metadata) or file.stem, source=where,
                        uri=file.resolve().as_uri(), domain=DOMAIN, metadata=metadata)


def _first(root: Any, name: str) -> Any:
    """The first `name` element that was not struck out."""
    return next((el for el in root.iter(f"{{*}}{name}")
                 if not any(a.get("changed") == "deleted" for a in el.iterancestors())), None)


def _iso_date(el: Any) -> str:
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", el.get("date") or ""):
        return el.get("date")
    m = _DATE_TEXT.search(_txt(el))  # "May 4, 2023" when the action carries no date attribute
    try:
        return datetime.strptime(" ".join(m.groups()), "%B %d %Y").date().isoformat() if m else ""
    except ValueError:
        return ""


def _metadata(root: Any) -> dict[str, Any]:
    meta, preface = _find(root, "meta"), _first(root, "preface")
    out: dict[str, Any] = {"uslm_type": _local(root)}
    for key, name in (("congress", "congress"), ("session", "session"), ("stage", "docStage"),
                      ("doc_type", "type"), ("number", "docNumber"), ("chamber", "currentChamber"),
                      ("citation", "citableAs"), ("identifier", "identifier"), ("publication", "docPublicationName")):
        out[key] = _txt(_find(meta, name)) or None
    out["identifier"] = out["identifier"] or root.get("identifier")
    # The introducing action names the sponsor and cosponsors; later ones name who reported the bill.
    intro = next((a for a in root.iter("{*}action") if _find(a, "sponsor") is not None), None)
    for key, name, scope in (("sponsors", "sponsor", intro), ("cosponsors", "cosponsor", intro),
                             ("committees", "committee", preface)):
        out[key] = list(dict.fromkeys(_txt(e) for e in scope.iter(f"{{*}}{name}"))) or None \
            if scope is not None else None
    actions = [{"date": _iso_date(date) if (date := _find(a, "date")) is not None else "",
                "description": _txt(_find(a, "actionDescription"))} for a in root.iter("{*}action")]
    out["actions"] = actions or None
    out["date"] = max((a["date"] for a in actions), default="") or None
    out["official_title"] = _txt(_first(root, "officialTitle")) or None
    short = [_txt(e) for e in root.iter("{*}shortTitle")
             if not any(a.get("changed") == "deleted" or _local(a) == "quotedContent" for a in e.iterancestors())]
    out["short_titles"] = list(dict.fromkeys(short)) or None
    return {k: v for k, v in out.items() if v is not None}


def _title(root: Any, metadata: dict[str, Any]) -> str:
    """dc:title ('118 S 1325 RS: To establish ...') names the bill with its number; a US Code title
    ('Title 42') gets its heading added. Official, then short title, when dc:title is missing."""
    dc_title = _txt(_find(_find(root, "meta"), "title"))
    heading = _find(_first(root, "main"), "heading")
    if (_local(root) == "uscDoc" or metadata.get("doc_type") == "USCTitle") and heading is not None and dc_title:
        return f"{dc_title} — {_heading_label(_txt(heading))}"
    return dc_title or metadata.get("official_title") or next(iter(metadata.get("short_titles", [])), "")
