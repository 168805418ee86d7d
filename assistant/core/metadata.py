"""Document metadata: which keys the pipeline itself reads, where a source's own fields go, and the
type checks for the fields a record maps onto a Document.

Record sources (JSONL, CSV, SQL rows, LangChain loaders, API uploads) carry arbitrary fields. Kept at
the top level of `Document.metadata` they could collide with the keys the chunker, redaction and the
ingest summary interpret (`page_starts`, `structure`, `encoding`), and one record naming a field
`page_starts` used to crash a whole batch. So a record's free-form fields live under
`metadata["user"]`, where no stage looks for structure. The two fields `SearchFilter` reads, `date`
and `doc_type`, are mapped like `title` or `acl`: type-checked, and kept at the top level so date and
type filters keep working on records.
"""

from __future__ import annotations

from typing import Any, Mapping

USER = "user"  # metadata[USER]: a record's own fields, verbatim
FILTER_FIELDS = ("date", "doc_type")  # record fields SearchFilter reads (catalog: $.date, $.doc_type)
# Keys with a meaning to a stage, written only by the connectors that parse a format:
# chunker + redaction (page_starts, structure), ingest summary (encoding), citations (pages, format).
INTERNAL_KEYS = frozenset({"page_starts", "structure", "encoding", "pages", "format"})


class FieldError(ValueError):
    """A record field has the wrong type. The message names the field, what was expected and found."""

    def __init__(self, field: str, expected: str, value: Any) -> None:
        super().__init__(f"{field}: expected {expected}, found {describe(value)}")
        self.field = field


def describe(value: Any, width: int = 60) -> str:
    """`int 5`, `bool True`, `dict {'a': 1}`: the type first, so a wrong type is obvious."""
    text = repr(value)
    if len(text) > width:
        text = text[:width] + "…"
    return f"{type(value).__name__} {text}"


def record_metadata(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Top-level metadata for a record's unmapped `fields`: the filter fields type-checked at the top,
    everything else under metadata["user"] (omitted when empty)."""
    out: dict[str, Any] = {}
    user = {}
    for key, value in fields.items():
        key = str(key)
        if key == "date" and value is not None and value != "":
            out[key] = _date(value)
        elif key == "doc_type" and value is not None and value != "":
            out[key] = optional_text(value, "doc_type")
        else:
            user[key] = value
    if user:
        out[USER] = user
    return out


def _date(value: Any) -> str | int:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise FieldError("date", "an ISO date string (YYYY, YYYY-MM or YYYY-MM-DD) or an integer year", value)
    return value


def optional_text(value: Any, field: str) -> str:
    """A string field such as title, uri or domain: "" when missing; numbers are accepted as their text
    (ids and years often arrive as numbers); lists, objects and booleans are refused."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    raise FieldError(field, "a string", value)


def acl_groups(value: Any, field: str = "acl") -> tuple[str, ...]:
    """The groups allowed to see a record: a list of group names or one comma-separated string;
    None or empty means public. Anything else is refused rather than guessed at: a number or a
    boolean in an ACL column is a mapping mistake, and guessing could expose a document."""
    expected = "a list of group names or a comma-separated string"
    if value is None:
        return ()
    if isinstance(value, str):
        names = value.split(",")
    elif isinstance(value, (list, tuple)):
        for i, name in enumerate(value):
            if not isinstance(name, str):
                raise FieldError(f"{field}[{i}]", "a group name (string)", name)
        names = list(value)
    else:
        raise FieldError(field, expected, value)
    return tuple(dict.fromkeys(n.strip() for n in names if n.strip()))


def check_internal(metadata: Mapping[str, Any]) -> None:
    """Refuse internal keys of the wrong shape before a stage trips over them with an obscure error."""
    starts = metadata.get("page_starts")
    if starts is not None and not (isinstance(starts, (list, tuple)) and all(type(p) is int for p in starts)):
        raise FieldError("metadata['page_starts']", "a list of integer character offsets", starts)
    spans = metadata.get("structure")
    if spans is not None and not (isinstance(spans, (list, tuple)) and all(
            isinstance(s, Mapping) and type(s.get("start")) is int and type(s.get("end")) is int for s in spans)):
        raise FieldError("metadata['structure']", "a list of {'start': int, 'end': int, ...} spans", spans)
    encoding = metadata.get("encoding")
    if encoding is not None and not isinstance(encoding, str):
        raise FieldError("metadata['encoding']", "an encoding name (string)", encoding)
