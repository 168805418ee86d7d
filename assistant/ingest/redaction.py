"""PHI/PII redaction before indexing: rule-based, model-free, deterministic. Identifiers become typed
placeholders (`[EMAIL]`, `[NAME]`, ...); URLs, doses, codes, section numbers and non-birth dates stay, since
answers cite them. Without a language model, ambiguous forms (a capitalised word, a bare 9-digit number)
need a label. Nothing here logs or returns an original value: callers get placeholders, counts and offsets.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from itertools import accumulate
from typing import Any

from assistant.core.errors import ConfigError
from assistant.core.types import Document

TYPES: tuple[str, ...] = ("email", "phone", "ssn", "mrn", "dob", "address", "name")  # also the order of counts
# When matches overlap the earlier type wins: a label ("MRN: 555-123-4567") says more than a value's
# shape, and an address beats a name inside it.
_PRIORITY = {kind: i for i, kind in enumerate(("email", "mrn", "ssn", "dob", "phone", "address", "name"))}

Span = tuple[int, int, str]


def placeholder(kind: str) -> str:
    return f"[{kind.upper()}]"


@dataclass(frozen=True)
class RedactionConfig:
    enabled: bool = False
    types: tuple[str, ...] = TYPES

    def __post_init__(self) -> None:
        if not isinstance(self.enabled, bool):
            raise ConfigError(f"[redaction] enabled: expected true or false, found {self.enabled!r}; "
                              f"write `enabled = true` or `enabled = false`")
        # TOML gives lists and environment variables give "email,phone"; both mean the same set.
        raw: Any = [p for p in self.types.split(",") if p.strip()] if isinstance(self.types, str) else self.types
        if not isinstance(raw, (list, tuple)) or not all(isinstance(t, str) for t in raw):
            raise ConfigError(f"[redaction] types: expected a list of names from {list(TYPES)}, found {raw!r}; "
                              f"write e.g. `types = [\"email\", \"phone\"]`")
        wanted = {t.strip().lower() for t in raw}
        if unknown := sorted(wanted - set(TYPES)):
            raise ConfigError(f"[redaction] types: expected names from {list(TYPES)}, found unknown {unknown}; "
                              f"fix the spelling or remove them")
        if self.enabled and not wanted:
            raise ConfigError("[redaction] types: expected at least one type while enabled, found []; "
                              "list the types to redact, or set `enabled = false`")
        # Canonical order keeps equal configs equal and output independent of how the list was written.
        object.__setattr__(self, "types", tuple(t for t in TYPES if t in wanted))


@dataclass(frozen=True)
class RedactionResult:
    """`spans` are (start, end, type) offsets into the *original* text, sorted and never overlapping."""

    text: str
    counts: dict[str, int] = field(default_factory=dict)
    spans: list[Span] = field(default_factory=list)

    def remap(self, offset: int) -> int:
        """Where an offset into the original text lands in the redacted text. One strictly inside a redacted
        span snaps to its placeholder's start: monotonic, so contiguous pages and sections stay contiguous."""
        return _OffsetMap(self.spans)(offset)


def merge_counts(*counts: Mapping[str, int]) -> dict[str, int]:
    """Sum per-type counts (e.g. across the documents of an ingest), in canonical type order."""
    total: dict[str, int] = {}
    for one in counts:
        for kind, n in one.items():
            total[kind] = total.get(kind, 0) + n
    order = {kind: i for i, kind in enumerate(TYPES)}
    return {k: total[k] for k in sorted(total, key=lambda k: (order.get(k, len(order)), k)) if total[k]}


_EMAIL = re.compile(r"(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+'-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")

# Boundary look-behinds sit after the first character ("\((?<![\w+.-]\()"): a leading look-behind
# stops the regex engine from skipping ahead, which made scans several times slower on long documents.
# No-word/no-dash/no-dot boundaries keep NDC codes (0115-0672-50), ISBNs and decimals out.
_PHONE_END = r"(?:[ \t]*(?:x|ext\.?|extension)[ \t]*\d{1,5})?(?![\w-]|\.\d)"
_PHONES = tuple(re.compile(p + _PHONE_END) for p in (
    r"\((?<![\w+.-]\()\d{3}\)[ \t]?\d{3}[ .-]\d{4}",  # (555) 123-4567
    r"\+(?<![\w+]\+)1[ .-]?(?:\(\d{3}\)[ \t]?\d{3}[ .-]|\d{3}([ .-])\d{3}\1)\d{4}",  # +1 555 123 4567
    # Bare 3-3-4 needs one repeated '-' or '.' separator: spaced digit runs are too often table cells.
    # Either "1-" then an area code, or an area code (2-9 first, as the NANP assigns them).
    r"\d(?<![\w+./-]\d)(?:(?<=1)([.-])[2-9]\d{2}|(?<=[2-9])\d{2})([.-])\d{3}\2\d{4}",
    r"\+(?<![\w+]\+)[2-9]\d{0,2}(?:[ .-]?(?:\(\d{1,4}\)|\d{1,4})){2,6}",  # +44 20 7946 0958
))
# A label makes any digit run a phone (local 7-digit, national forms); the colon is required because "cell",
# "pager" and "tel" also occur in lab text without one. Checked backwards from each colon, like name labels.
_PHONE_LABEL = re.compile(r"(?i)\b(?:phone|telephone|tel|fax|facsimile|cell|mobile|pager)\.?"
                          r"(?:[ \t]+(?:number|no\.?))?[ \t]*\Z")
_PHONE_VALUE = re.compile(r"[ \t]*(?P<v>\+?\(?\d[\d \t().-]{5,}\d" + _PHONE_END + ")")

_SSN = re.compile(r"(?P<v>\d(?<![\w-]\d)\d\d([- ])\d{2}\2\d{4})(?![\w-])")
_SSN_LABELLED = re.compile(r"(?i:\bSSN\b|\bSS#|\bsocial[ \t]+security(?:[ \t]+(?:number|no\.?|#))?)[ \t]*[:#]?"
                           r"[ \t]*(?P<v>\d{3}[- ]?\d{2}[- ]?\d{4})(?![\w-])")

_MRN = re.compile(
    r"(?i:\bMRN\b|\bMR[ \t]?#|\bMR[ \t]+No\b\.?|\bmedical[ \t]+record(?:[ \t]+(?:number|no\b\.?|#))?"
    r"|\bpatient[ \t]+(?:ID|#|No\b\.?|number)|\bchart[ \t]+(?:number|no\b\.?|#))"
    r"[ \t]*(?:[:#]|-(?=[ \t]))?[ \t]*#?[ \t]*(?P<v>(?=[A-Za-z-]*\d)[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])(?![\w-])")

_MONTH = (r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
          r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)")
_DATE = (rf"(?:\d{{1,2}}[/.-]\d{{1,2}}[/.-](?:\d{{4}}|\d{{2}})|\d{{4}}-\d{{2}}-\d{{2}}"
         rf"|{_MONTH}\.?[ \t]+\d{{1,2}}(?:st|nd|rd|th)?,?[ \t]+\d{{4}}"
         rf"|\d{{1,2}}(?:st|nd|rd|th)?[ \t]+(?:of[ \t]+)?{_MONTH}\.?,?[ \t]+\d{{4}})")
# Only labelled dates: admission, visit and filing dates are not identifiers on their own.
_DOB = re.compile(rf"(?i:\bD\.?O\.?B\b\.?|\bdate[ \t]+of[ \t]+birth\b|\bbirth[ \t]*date\b|\bborn(?:[ \t]+on)?\b)"
                  rf"[ \t]*[:=-]?[ \t]*(?P<v>(?i:{_DATE}))(?![\w/])")

_STATES = ("AL|AK|AZ|AR|CA|CO|CT|DE|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|"
           "NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|DC|PR")
_UNIT = (r"(?:\.?,?[ \t]+(?:Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room|Bldg|Building)\.?[ \t]*#?[ \t]*"
         r"(?:\d[\w-]*|[A-Z]\b)|[ \t]*#[ \t]*\d[\w-]*)")
_TAIL = (rf"(?:\.?,[ \t]*|\.?[ \t]*\n[ \t]*)[A-Z][A-Za-z'’.-]*(?:[ \t]+[A-Z][A-Za-z'’.-]*){{0,3}}[ \t]*,?[ \t]+"
         rf"(?:{_STATES})\b(?:[ \t]+\d{{5}}(?:-\d{{4}})?)?")
_STREET = (r"\d(?<![\w§.,/$:#-]\d)\d{0,5}[A-Za-z]?[ \t]+(?:(?:[NSEW]|North|South|East|West)\.?[ \t]+)?"
           r"(?:(?:[A-Z][A-Za-z'’-]*|\d+(?:st|nd|rd|th))[ \t]+){1,4}?")
# "Dr"/"St" followed by a capitalised word is far more often "Dr. Smith" / "St. Mary" than a street end.
_STRONG = (r"(?:Street|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Highway|Hwy|Parkway|Pkwy|Terrace"
           r"|(?:Dr|St)(?!\.?[ \t]+(?!Apt|Apartment|Suite|Ste|Unit|Fl|Floor|Rm|Room)[A-Z][a-z]))\b")
# Court/Way/Place... also end court names and prose ("2019 Supreme Court"): they need a unit or city tail.
_WEAK = r"(?:Court|Ct|Way|Place|Pl|Circle|Cir|Square|Sq|Trail|Plaza|Crescent)\b"
_ADDRESSES = (
    re.compile(rf"{_STREET}{_STRONG}(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\b)?{_UNIT}?(?:{_TAIL})?"),
    re.compile(rf"{_STREET}{_WEAK}(?:{_UNIT}(?:{_TAIL})?|{_TAIL})"),
    re.compile(rf"(?<![\w-])(?i:P\.?[ \t]?O\.?[ \t]*Box|Post[ \t]+Office[ \t]+Box)[ \t]+\d+(?:{_TAIL})?"),
)

# Dr Mr Mrs Ms Mx Miss Prof; not "Dx"/"Px" (diagnosis, physical exam), which head clinical lines.
_HONORIFIC = re.compile(r"[DMP](?<![\w.][DMP])(?:(?<=D)r|(?<=M)(?:rs?|s|x|iss)|(?<=P)rof)\.?[ \t]+(?=[A-Z])")
# Generic "Name:" only counts at a line or field start, so "Drug name: Metformin" stays. Labels are checked
# backwards from each colon: scanning this case-insensitive alternation at every position is far slower.
_FIELD_END = re.compile(r"[:#]+[ \t]*")
_NAME_LABEL = re.compile(
    r"(?im)(?:(?:^|\t|  |[|;])[ \t]*(?:(?:full|client|patient)[ \t]+)?name"
    r"|(?<![\w-])(?:patient|signed(?:[ \t]+by)?|signature|attending(?:[ \t]+physician)?"
    r"|(?:referring|primary[ \t]+care|treating)[ \t]+(?:physician|provider)|PCP|dictated[ \t]+by"
    r"|prepared[ \t]+by|cc|client|witness|claimant|guardian|next[ \t]+of[ \t]+kin|emergency[ \t]+contact"
    r"|attn|attention))[ \t]*\Z")
_SIGNED = re.compile(r"/s/(?<!\w/s/)[ \t]*")
# "Name:" mid-line is a person in signature blocks ("/s/ Jo Roe Name: Jo Roe") but not after these words.
_INLINE_NAME = re.compile(r"N(?<=[ \t]N)(?:ame|AME)[ \t]*:[ \t]*")
_PREV_WORD = re.compile(r"([A-Za-z]+)[ \t]+$")
_THING_NAMES = frozenset("drug brand generic trade product company business file domain device test study "
                         "medication disease host project program code field column table".split())
_DEAR = re.compile(r"Dear(?<!\wDear)[ \t]+")
# An initial is tried first so "Jane A. Doe" reads as three words, not "Jane A" and a full stop.
_NAME_TOKEN = re.compile(r"[A-Z]\.(?![A-Za-z])|[A-Z](?=[ \t,;]|$)|(?:[A-Z](?:[a-z]+(?:[A-Z][a-z]+)?|(?=['’-][A-Z]))"
                         r"(?:['’-][A-Z][a-z]+)*|[A-Z]{2,}(?:['’-][A-Z]+)*)(?!\w)(?!['’][A-Za-z]{2})")
# Three or more spaces separate columns of a signature block, not the words of one name.
_NAME_GAP = re.compile(r"(?: {1,2}|\t)(?:(?:van|von|de|da|del|der|di|du|la|le|bin|ibn) )?")
_INVERTED = re.compile(r",[ \t]*(?=[A-Z])")  # "DOE, JANE" in record headers
_DEAR_END = re.compile(r"[ \t]*[,:\n]")
_LIST_SEP = re.compile(r"[ \t]*(?:[;,]|\band\b)[ \t]*")
# Words that end a name: credentials, suffixes, neighbouring field labels, roles ("Attention: General
# Counsel") and salutations that are not names.
_NOT_NAME = frozenset(
    "MD DO RN NP PA PHD ESQ JD MBBS FACP FACS DDS DNP LPN CNA APRN MPH MSN BSN PHARMD DOB MRN SSN ID AGE SEX DATE "
    "PHONE TEL FAX EMAIL ADDRESS MALE FEMALE UNKNOWN NONE ANONYMOUS SIR MADAM COUNSEL COLLEAGUE COLLEAGUES ALL "
    "TEAM PATIENT DOCTOR HOSPITAL CLINIC DEPARTMENT CHAIRMAN CHIEF EXECUTIVE OFFICER PRESIDENT GENERAL LEGAL HEAD "
    "MANAGER DIRECTOR SECRETARY TREASURER SENIOR VICE CEO CFO COO CTO EVP SVP VP TITLE NAME BY FACSIMILE PAGE "
    "SIGNATURE ILLEGIBLE WITNESS JR SR II III IV ACCOUNTS PAYABLE ADMINISTRATION MANAGEMENT SERVICES CONTRACTS "
    "COMPLIANCE OPERATIONS FINANCE SALES PURCHASING AGREED COMPANY INC LLC LTD CORP".split())


def _groups(patterns: Iterable[re.Pattern[str]], text: str) -> list[tuple[int, int]]:
    out = []
    for pattern in patterns:
        for m in pattern.finditer(text):
            key = "v" if "v" in pattern.groupindex and m.group("v") is not None else 0
            out.append(m.span(key))
    return out


def _phones(text: str) -> list[tuple[int, int]]:
    spans = _groups(_PHONES, text)
    for colon in _FIELD_END.finditer(text):
        value = _PHONE_VALUE.match(text, colon.end())
        if value and _PHONE_LABEL.search(text, max(0, colon.start() - 30), colon.start()):
            spans.append(value.span("v"))
    # International and labelled forms are loose; the digit count is what separates them from numbers.
    return [(s, e) for s, e in spans if 7 <= sum(c.isdigit() for c in text[s:e]) <= 15]


def _ssns(text: str) -> list[tuple[int, int]]:
    out = []
    for s, e in _groups((_SSN, _SSN_LABELLED), text):
        d = "".join(c for c in text[s:e] if c.isdigit())
        # The SSA never issues these; rejecting them avoids redacting look-alike reference numbers.
        if d[:3] not in ("000", "666") and d[0] != "9" and d[3:5] != "00" and d[5:] != "0000":
            out.append((s, e))
    return out


def _name_at(text: str, pos: int, min_tokens: int, inverted: bool, max_tokens: int = 4) -> int | None:
    """End of a name starting at `pos`, or None when fewer than `min_tokens` name words are there."""
    tokens: list[str] = []
    end = p = pos
    while len(tokens) < max_tokens:
        m = _NAME_TOKEN.match(text, p)
        word = m.group().rstrip(".") if m else ""
        if not m or word.upper() in _NOT_NAME:
            break
        # After the first word, "Word:" is the next field's label ("Jane Doe Allergies: none"), and
        # mixed case then all caps ("Dr. Smith ED") is a name followed by an abbreviation.
        # A repeated first word starts the next name ("/s/ Gu Xianwin Gu Xianwin" in signature blocks).
        if tokens and (text.startswith(":", m.end()) or word == tokens[0]
                       or (word.isupper() and len(word) > 1 and not tokens[0].isupper())):
            break
        tokens.append(word)
        end = m.end()
        gap = (_INVERTED.match(text, end) if inverted and len(tokens) == 1 else None) or _NAME_GAP.match(text, end)
        if not gap:
            break
        p = gap.end()
    return end if len(tokens) >= min_tokens else None


def _previous_word(text: str, pos: int) -> str:
    return m.group(1) if (m := _PREV_WORD.search(text, max(0, pos - 40), pos)) else ""


def _names(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for m in _HONORIFIC.finditer(text):
        # "Will We Miss Cancers ...": in title-case text "Miss" is a verb, not a title.
        if m.group().startswith("Miss") and _previous_word(text, m.start()) not in ("Dear", "") \
                and _previous_word(text, m.start()).istitle():
            continue
        # Three words after a title: a fourth capitalised word is more often a role or company.
        end = _name_at(text, m.end(), 1, inverted=False, max_tokens=3)
        if end:
            out.append((m.end(), end))
    labels = [m.end() for m in _FIELD_END.finditer(text) if _NAME_LABEL.search(text, max(0, m.start() - 40), m.start())]
    labels += [m.end() for m in _SIGNED.finditer(text)]
    labels += [m.end() for m in _INLINE_NAME.finditer(text)
               if _previous_word(text, m.start()).lower() not in _THING_NAMES]
    for pos in labels:
        # A labelled field may list several people ("cc: Dr. A. Roe; Jane Doe"); each is its own span.
        while True:
            hon = _HONORIFIC.match(text, pos)
            start = hon.end() if hon else pos
            # Two words unless titled: "Patient: Alert and oriented" must not lose "Alert".
            end = _name_at(text, start, 1 if hon else 2, inverted=True)
            if not end:
                break
            out.append((start, end))
            sep = _LIST_SEP.match(text, end)
            if not sep:
                break
            pos = sep.end()
    for m in _DEAR.finditer(text):
        if _HONORIFIC.match(text, m.end()):
            continue  # the honorific rule already took it
        end = _name_at(text, m.end(), 1, inverted=False)
        if end and _DEAR_END.match(text, end):
            out.append((m.end(), end))
    # A full name found under a label is the same identifier elsewhere ("Jane Doe reports ..."); a lone
    # surname is not ("Dr. Smith" must not take "Smith v. Jones" or an eponym with it).
    for name in sorted({text[s:e] for s, e in out if " " in text[s:e]}):
        i = text.find(name)
        while i >= 0:
            j = i + len(name)
            if not (i and text[i - 1].isalnum()) and not (j < len(text) and text[j].isalnum()):
                out.append((i, j))
            i = text.find(name, j)
    return out


_DETECTORS: dict[str, Callable[[str], list[tuple[int, int]]]] = {
    "email": lambda text: _groups((_EMAIL,), text),
    "ssn": _ssns,
    "mrn": lambda text: _groups((_MRN,), text),
    "dob": lambda text: _groups((_DOB,), text),
    "phone": _phones,
    "address": lambda text: _groups(_ADDRESSES, text),
    "name": _names,
}


class Redactor:
    """`Redactor()` redacts every type; pass a `RedactionConfig` to choose types or turn it off."""

    def __init__(self, config: RedactionConfig | None = None) -> None:
        self.config = config if config is not None else RedactionConfig(enabled=True)

    @property
    def enabled(self) -> bool:
        return self.config.enabled and bool(self.config.types)

    def redact(self, text: str) -> RedactionResult:
        if not self.enabled or not text:
            return RedactionResult(text)
        candidates = [(s, e, kind) for kind in self.config.types for s, e in _DETECTORS[kind](text) if e > s]
        spans = _resolve(candidates)
        parts: list[str] = []
        counts: dict[str, int] = {}
        last = 0
        for s, e, kind in spans:
            parts += [text[last:s], placeholder(kind)]
            counts[kind], last = counts.get(kind, 0) + 1, e
        return RedactionResult("".join(parts) + text[last:], merge_counts(counts), spans)


def _resolve(candidates: list[Span]) -> list[Span]:
    """Non-overlapping spans: higher-priority type first, then the longer match, then the earlier one."""
    chosen: list[Span] = []  # kept sorted by start
    for s, e, kind in sorted(set(candidates), key=lambda c: (_PRIORITY[c[2]], c[0] - c[1], c[0])):
        i = bisect_left(chosen, (s,))
        if (i > 0 and chosen[i - 1][1] > s) or (i < len(chosen) and chosen[i][0] < e):
            continue
        chosen.insert(i, (s, e, kind))
    return chosen


class _OffsetMap:
    def __init__(self, spans: list[Span]) -> None:
        self._starts, self._ends = [s for s, _, _ in spans], [e for _, e, _ in spans]
        self._shift_after = list(accumulate(len(placeholder(kind)) - (e - s) for s, e, kind in spans))
        self._new_starts = [s + (self._shift_after[i - 1] if i else 0) for i, (s, _, _) in enumerate(spans)]

    def __call__(self, offset: int) -> int:
        i = bisect_left(self._starts, offset) - 1  # the last span starting before `offset`
        if i < 0:
            return offset
        return self._new_starts[i] if offset < self._ends[i] else offset + self._shift_after[i]


# Identifiers and locations must survive unchanged: evaluations and citations map on them.
_KEEP_KEYS = frozenset({"id", "uri", "url", "source", "path", "format", "doi", "pmid", "qid", "hash", "sha256"})
_KEEP_SUFFIXES = ("_id", "_ids", "_url", "_uri", "_path")
_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)


def redact_document(doc: Document, redactor: Redactor) -> tuple[Document, dict[str, int]]:
    """A copy of `doc` with text, title and string metadata redacted, plus the per-type counts.
    `metadata["page_starts"]` and `metadata["structure"]` offsets are remapped onto the new text."""
    if not redactor.enabled:
        return doc, {}
    body, title = redactor.redact(doc.text), redactor.redact(doc.title)
    counts = [body.counts, title.counts]
    offsets = _OffsetMap(body.spans)
    metadata: dict[str, Any] = {}
    for key, value in doc.metadata.items():
        if key == "page_starts" and value:
            metadata[key] = [offsets(p) for p in _offsets(doc, key, value)]
        elif key == "structure" and value:
            metadata[key] = _remap_structure(doc, value, offsets, redactor, counts)
        else:
            metadata[key] = _redact_value(key, value, redactor, counts)
    return replace(doc, text=body.text, title=title.text, metadata=metadata), merge_counts(*counts)


def _remap_structure(doc: Document, spans: Any, offsets: _OffsetMap, redactor: Redactor,
                     counts: list[dict[str, int]]) -> list[dict[str, Any]]:
    if not isinstance(spans, (list, tuple)) or not all(isinstance(x, Mapping) for x in spans):
        raise ValueError(f"document {doc.id!r}: metadata['structure'] must be a list of dicts with 'start' and "
                         f"'end', found {spans!r:.80}; fix the connector that produced it")
    out = []
    for span in spans:
        start, end = (offsets(p) for p in _offsets(doc, "structure", [span.get("start"), span.get("end")]))
        # A span lying wholly inside one redacted identifier has no text left of its own; the
        # chunker rejects empty spans, and the placeholder already belongs to the neighbouring span.
        if start < end:
            rest = {k: _redact_value(k, v, redactor, counts) for k, v in span.items() if k not in ("start", "end")}
            out.append({"start": start, "end": end, **rest})
    return out


def _offsets(doc: Document, key: str, values: Any) -> list[int]:
    if not isinstance(values, (list, tuple)) or not all(type(v) is int for v in values):
        raise ValueError(f"document {doc.id!r}: metadata[{key!r}] needs integer character offsets, found "
                         f"{values!r:.80}; fix the connector that produced it")
    return list(values)


def _redact_value(key: Any, value: Any, redactor: Redactor, counts: list[dict[str, int]]) -> Any:
    name = str(key).lower()
    if name in _KEEP_KEYS or name.endswith(_KEEP_SUFFIXES) or (isinstance(value, str) and _URL.match(value)):
        return value
    if isinstance(value, str):
        result = redactor.redact(value)
        counts.append(result.counts)
        return result.text
    if isinstance(value, Mapping):
        return {k: _redact_value(k, v, redactor, counts) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        items = [_redact_value(key, v, redactor, counts) for v in value]
        return tuple(items) if isinstance(value, tuple) else items
    return value
