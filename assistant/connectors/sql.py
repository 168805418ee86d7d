"""Rows of a SQL query or table (any SQLAlchemy dialect) as Documents, with incremental reads by an
"updated" column: pass the previous run's `watermark` as `since` and only newer rows are read."""

from __future__ import annotations

import base64
import re
import uuid
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Iterator, Mapping, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine, Row

from assistant.core.errors import ConfigError, SourceError
from assistant.core.metadata import record_metadata
from assistant.core.types import Document

# A bare (optionally schema-qualified) table name, as opposed to a SELECT statement.
_TABLE_NAME = re.compile(r"^[A-Za-z_][\w$]*(\.[A-Za-z_][\w$]*)?$")
_FIRST_FROM = re.compile(r"\bfrom\s+\"?([A-Za-z_][\w$]*)\"?(?:\s*\.\s*\"?([A-Za-z_][\w$]*)\"?)?", re.IGNORECASE)


def json_safe(value: Any) -> Any:
    """A value the KB can store as JSON and hash stably: datetimes as ISO strings, Decimals as numbers,
    bytes as text (or base64 when not UTF-8), containers recursively, anything else unknown as str()."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        # NaN/inf are not JSON; keep them readable rather than fail the whole row.
        return value if value == value and value not in (float("inf"), float("-inf")) else str(value)
    if isinstance(value, (datetime, date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        raw = bytes(value)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            return "base64:" + base64.b64encode(raw).decode("ascii")
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [json_safe(v) for v in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, uuid.UUID):
        return str(value)
    return str(value)


def mask_url(url: str | sa.URL) -> str:
    """The URL with its password replaced by ***, for messages; a URL that will not parse is hidden whole
    because we cannot tell which part of it is the password."""
    try:
        return sa.make_url(url).render_as_string(hide_password=True)
    except (sa.exc.ArgumentError, ValueError, TypeError):
        return "<unparseable database URL>"


def _reason(exc: BaseException, secret: str | None) -> str:
    """The driver's own message (not SQLAlchemy's wrapper with its SQL echo and docs link), first line,
    with the password scrubbed in case a driver ever repeats the connection string."""
    orig = getattr(exc, "orig", None) or exc
    # PostgreSQL appends "LINE 1: ..." and a caret line that mean nothing once folded onto one line.
    lines = [line.strip() for line in str(orig).splitlines()
             if line.strip() and not line.strip().startswith("LINE ") and line.strip() != "^"]
    text = " ".join(lines)[:500] if lines else type(orig).__name__
    if secret:
        text = text.replace(secret, "***")
    return text


def default_prefix(query: str) -> str:
    """The id prefix when none is given: the table name, or the first table after FROM, else "sql".
    It only depends on the query text, so ids stay the same from run to run."""
    query = query.strip()
    if _TABLE_NAME.match(query):
        return query
    match = _FIRST_FROM.search(query)
    if not match:
        return "sql"
    return ".".join(part for part in match.groups() if part)


class SQLConnector:
    """One Document per row. `query` is a SELECT statement or a table name; columns are mapped by name.
    `metadata_columns=None` keeps every unmapped column (like CsvConnector); the default keeps none.
    `acl_column` may hold an array or a comma-separated string of groups.
    `id_prefix` defaults to the table name ("articles:42"); pass "" to keep the column's value exactly.
    With `since`, rows whose updated column is NULL are not read (NULL > x is never true); a full run
    without `since` reads them."""

    def __init__(self, url: str | sa.URL, query: str, *, id_column: str, text_column: str,
                 title_column: str | None = None, metadata_columns: Sequence[str] | None = (),
                 acl_column: str | None = None, updated_column: str | None = None,
                 since: str | datetime | date | int | float | None = None, domain: str | None = None,
                 batch_size: int = 500, id_prefix: str | None = None, uri_column: str | None = None) -> None:
        if not query or not query.strip():
            raise ConfigError("SQLConnector: expected a SELECT statement or a table name as query, found nothing")
        if since is not None and not updated_column:
            raise ConfigError("SQLConnector: `since` was given without `updated_column`; name the column "
                              "holding each row's last-modified time (or version) so newer rows can be found")
        if batch_size < 1:
            raise ConfigError(f"SQLConnector: expected batch_size >= 1, found {batch_size}")
        self.url = url
        self.query = query.strip().rstrip(";").strip()
        self.id_column, self.text_column = id_column, text_column
        self.title_column, self.uri_column = title_column, uri_column
        self.metadata_columns = None if metadata_columns is None else tuple(metadata_columns)
        self.acl_column, self.updated_column = acl_column, updated_column
        self.since = since
        self.domain = domain or ""
        self.batch_size = batch_size
        self.prefix = default_prefix(self.query) if id_prefix is None else id_prefix
        # The caller stores this after a full pass and passes it back as `since`. It only moves once
        # every row was read, so an interrupted run re-reads rather than skips rows.
        self.watermark: str | None = None if since is None else str(json_safe(since))

    # --- reading -----------------------------------------------------------------------------
    def iter_documents(self) -> Iterator[Document | Exception]:
        where = f"sql:{self.prefix}"
        masked = mask_url(self.url)
        try:
            engine = self._engine()
        except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError, ValueError) as exc:
            yield SourceError(where, f"expected a SQLAlchemy database URL like "
                                     f"postgresql+psycopg://user:password@host:5432/db or sqlite:///path.db, "
                                     f"found {masked} ({_reason(exc, self._password())}); fix the URL or "
                                     f"install the driver it names")
            return
        try:
            try:
                conn = engine.connect()
            except sa.exc.SQLAlchemyError as exc:
                yield SourceError(where, f"expected a reachable database at {masked}, found: "
                                         f"{_reason(exc, self._password())}; check the URL, credentials and "
                                         f"that the server is running")
                return
            with conn:
                yield from self._read(conn, where)
        finally:
            engine.dispose()

    def _read(self, conn: Connection, where: str) -> Iterator[Document | Exception]:
        # The user's query is wrapped as a subquery aliased without AS, which every dialect accepts (Oracle
        # rejects AS there).
        source = self._source_sql(conn.dialect)
        try:
            # Zero rows, just the column names: lets a wrong mapping be reported by name instead of as
            # whatever error the database raises for the incremental filter on a missing column.
            columns = list(conn.execute(sa.text(f"SELECT * FROM ({source}) src WHERE 1 = 0")).keys())
        except sa.exc.SQLAlchemyError as exc:
            yield SourceError(where, f"expected a query the database accepts, found an error: "
                                     f"{_reason(exc, self._password())}; fix the query {self.query!r}")
            return
        missing = [c for c in self._mapped_columns() if c not in columns]
        if missing:
            # PostgreSQL folds unquoted names to lower case, so "Title" in a mapping is a common slip.
            near = [f"'{n}' for '{c}'" for c in missing for n in columns if n.lower() == c.lower()]
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            yield SourceError(where, f"expected columns {missing} in the query result, found {columns}{hint}; "
                                     f"fix the column mapping or select them in the query")
            return
        keep = self.metadata_columns if self.metadata_columns is not None else tuple(
            c for c in columns if c not in self._mapped_columns())
        statement, params = self._statement(conn, source)
        newest: Any = None
        try:
            result = conn.execution_options(stream_results=True, yield_per=self.batch_size).execute(
                statement, params)
            for row in result:
                # Rows come ordered by the updated column, so the database's own ordering (the same one
                # its `>` filter uses next time) decides the watermark: the last non-NULL value.
                if self.updated_column and row._mapping[self.updated_column] is not None:
                    newest = row._mapping[self.updated_column]
                yield self._document(row, keep)
        except sa.exc.SQLAlchemyError as exc:
            yield SourceError(where, f"expected to read every row of {self.query!r}, the database failed "
                                     f"part way: {_reason(exc, self._password())}; fix the cause and run again "
                                     f"(the watermark was not advanced, so no rows are skipped)")
            return
        if newest is not None:
            self.watermark = str(json_safe(newest))

    def _document(self, row: Row[Any], keep: Sequence[str]) -> Document | Exception:
        values = row._mapping
        raw_id = values[self.id_column]
        key = "" if raw_id is None else str(json_safe(raw_id)).strip()
        doc_id = f"{self.prefix}:{key}" if self.prefix else key
        if not key:
            return SourceError(f"sql:{self.prefix}", f"expected a non-empty '{self.id_column}' in every row, "
                                                     f"found {raw_id!r}; filter such rows in the query")
        text = values[self.text_column]
        if isinstance(text, (bytes, bytearray, memoryview)):
            text = json_safe(text)
        if text is None or not str(text).strip():
            return SourceError(f"sql:{doc_id}", f"expected text in column '{self.text_column}', found "
                                                f"{'NULL' if text is None else 'an empty value'}; fill it or add "
                                                f"WHERE {self.text_column} IS NOT NULL to the query")
        try:
            return Document(
                id=doc_id, text=str(text), title=self._text(values, self.title_column),
                source=f"sql:{self.prefix}" if self.prefix else "sql", uri=self._text(values, self.uri_column),
                domain=self.domain, acl=self._acl(values),
                metadata=record_metadata({c: json_safe(values[c]) for c in keep}))
        except ValueError as exc:  # a metadata column of the wrong type, or an id with control characters
            return SourceError(f"sql:{doc_id}", str(exc))

    # --- helpers -----------------------------------------------------------------------------
    def _engine(self) -> Engine:
        url = sa.make_url(self.url)
        connect_args: dict[str, Any] = {}
        # A firewalled host otherwise hangs for minutes; libpq's timeout is the only portable knob we need.
        if url.get_backend_name() == "postgresql" and "connect_timeout" not in url.query:
            connect_args["connect_timeout"] = 10
        return sa.create_engine(url, connect_args=connect_args)

    def _password(self) -> str | None:
        try:
            return sa.make_url(self.url).password  # type: ignore[return-value]
        except (sa.exc.ArgumentError, ValueError, TypeError):
            return None

    def _mapped_columns(self) -> list[str]:
        named = [self.id_column, self.text_column, self.title_column, self.uri_column, self.acl_column,
                 self.updated_column, *(self.metadata_columns or ())]
        return list(dict.fromkeys(c for c in named if c))

    def _source_sql(self, dialect: sa.Dialect) -> str:
        if _TABLE_NAME.match(self.query):
            # The dialect quotes only names that need it (reserved words, mixed case), in its own style.
            return "SELECT * FROM " + ".".join(dialect.identifier_preparer.quote(p) for p in self.query.split("."))
        # text() would read ":name" inside the user's SQL as a bind parameter; the user's query carries
        # no parameters of ours, so every colon is literal (PostgreSQL casts "::text", times '10:30').
        return self.query.replace(":", r"\:")

    def _statement(self, conn: Connection, source: str) -> tuple[sa.TextClause, dict[str, Any]]:
        if not self.updated_column:
            return sa.text(source), {}
        column = "src." + conn.dialect.identifier_preparer.quote(self.updated_column)
        # Oldest first, so the watermark is the last row read; the value is always a bound parameter.
        if self.since is None:
            return sa.text(f"SELECT * FROM ({source}) src ORDER BY {column}"), {}
        since: Any = self.since
        if conn.dialect.name == "sqlite" and isinstance(since, datetime):
            # SQLite has no datetime type and compares text; this is the format SQLAlchemy stores.
            since = since.isoformat(sep=" ", timespec="microseconds")
        return sa.text(f"SELECT * FROM ({source}) src WHERE {column} > :since ORDER BY {column}"), {
            "since": since}

    @staticmethod
    def _text(values: sa.RowMapping, column: str | None) -> str:
        if not column or values[column] is None:
            return ""
        return str(json_safe(values[column])).strip()

    def _acl(self, values: sa.RowMapping) -> tuple[str, ...]:
        if not self.acl_column or values[self.acl_column] is None:
            return ()
        raw = values[self.acl_column]
        groups = raw.split(",") if isinstance(raw, str) else [str(g) for g in raw] if isinstance(
            raw, (list, tuple, set, frozenset)) else [str(raw)]
        return tuple(g.strip() for g in groups if g and g.strip())
