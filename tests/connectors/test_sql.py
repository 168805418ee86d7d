"""SQLConnector against SQLite (always) and a real PostgreSQL (started by .ci/postgres.sh).

The PostgreSQL tests use $ASSISTANT_TEST_POSTGRES_URL, else the URL .ci/postgres.sh prints. With no
server they skip, except under CI (env CI set), where they fail: CI must really run them."""

from __future__ import annotations

import json
import os
import uuid
from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
import sqlalchemy as sa

from assistant.connectors.sql import SQLConnector, json_safe, mask_url
from assistant.core.errors import SourceError
from assistant.core.types import Document

DEFAULT_POSTGRES_URL = "postgresql+psycopg://assistant:assistant@127.0.0.1:5432/assistant_test"
T0 = datetime(2024, 3, 1, 9, 0, tzinfo=timezone.utc)


def split(items: list) -> tuple[list[Document], list[SourceError]]:
    return ([i for i in items if isinstance(i, Document)], [i for i in items if isinstance(i, Exception)])


def stored(kb, doc_id: str) -> dict:
    """A document's row as the KB catalog stored it, to check what actually landed in the KB."""
    row = kb.catalog.conn.execute("SELECT title, source, domain, acl, metadata FROM documents WHERE id = ?",
                                  (doc_id,)).fetchone()
    assert row is not None, f"{doc_id} not in the KB"
    return {"title": row[0], "source": row[1], "domain": row[2], "acl": json.loads(row[3]),
            "metadata": json.loads(row[4])}


def chunk_text(kb, doc_id: str) -> str:
    return " ".join(r[0] for r in kb.catalog.conn.execute("SELECT text FROM chunks WHERE doc_id = ? ORDER BY ordinal",
                                                          (doc_id,)))


# --- PostgreSQL ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg_url() -> str:
    url = os.environ.get("ASSISTANT_TEST_POSTGRES_URL") or DEFAULT_POSTGRES_URL
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 5})
        with engine.connect():
            pass
        engine.dispose()
    except (sa.exc.SQLAlchemyError, ImportError) as exc:
        why = " ".join(str(getattr(exc, "orig", None) or exc).split())  # the driver's reason, on one line
        reason = (f"no PostgreSQL answers at {mask_url(url)} ({why}); "
                  f"run .ci/postgres.sh to start one, or set ASSISTANT_TEST_POSTGRES_URL")
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so the PostgreSQL tests must run: {reason}")
        pytest.skip(reason)
    return url


@pytest.fixture
def pg_table(pg_url) -> Iterator[tuple[sa.Engine, sa.Table]]:
    """A table with a unique name per test, dropped afterwards even when the test fails."""
    engine = sa.create_engine(pg_url)
    meta = sa.MetaData()
    table = sa.Table(
        f"kb_docs_{uuid.uuid4().hex[:10]}", meta,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("body", sa.Text, nullable=True),
        sa.Column("title", sa.Text),
        sa.Column("category", sa.Text),
        sa.Column("groups", sa.ARRAY(sa.Text)),
        sa.Column("price", sa.Numeric(10, 2)),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(table.insert(), [
            {"id": 1, "body": "Aspirin inhibits platelet aggregation and is used after myocardial infarction.",
             "title": "Aspirin", "category": "drug", "groups": ["clinicians"], "price": 3.5,
             "updated_at": T0},
            {"id": 2, "body": "Ибупрофен снижает жар. Le café naïve — 日本語のテキストも保存されます。",
             "title": "Ибупрофен", "category": "drug", "groups": ["clinicians", "pharmacists"], "price": 4,
             "updated_at": T0 + timedelta(minutes=1)},
            {"id": 3, "body": None, "title": "Empty", "category": "stub", "groups": None, "price": None,
             "updated_at": T0 + timedelta(minutes=2)},
            {"id": 4, "body": "Seasonal influenza vaccination is recommended every autumn.",
             "title": "Influenza", "category": "guideline", "groups": [], "price": None,
             "updated_at": T0 + timedelta(minutes=3, microseconds=250)},
        ])
    try:
        yield engine, table
    finally:
        meta.drop_all(engine)
        engine.dispose()


def pg_connector(url: str, table: sa.Table, **kwargs) -> SQLConnector:
    # A cast and a LIKE '%' in the user's SQL: colons and percent signs must reach the server untouched.
    query = (f"SELECT id, body, title::text AS title, category, groups, price, updated_at FROM {table.name} "
             f"WHERE category LIKE '%'")
    options = dict(id_column="id", text_column="body", title_column="title",
                   metadata_columns=("category", "price", "updated_at"), acl_column="groups",
                   updated_column="updated_at", domain="health")
    return SQLConnector(url, query, **{**options, **kwargs})


def test_postgres_rows_ingest_then_incremental_update(pg_url, pg_table, new_kb):
    engine, table = pg_table
    kb = new_kb()
    first = pg_connector(pg_url, table, batch_size=2)  # smaller than the table: several fetches
    report = kb.ingest(first.iter_documents())

    p = table.name
    assert report.documents_added == 3 and report.documents_updated == 0
    assert report.errors == [{"source": f"sql:{p}:3", "error": report.errors[0]["error"]}]
    assert "NULL" in report.errors[0]["error"] and "'body'" in report.errors[0]["error"]
    assert sorted(d.id for d in kb.catalog.documents()) == [f"{p}:1", f"{p}:2", f"{p}:4"]

    aspirin = stored(kb, f"{p}:1")
    assert aspirin["title"] == "Aspirin" and aspirin["domain"] == "health" and aspirin["acl"] == ["clinicians"]
    assert aspirin["source"] == f"sql:{p}"
    assert aspirin["metadata"] == {"user": {"category": "drug", "price": 3.5, "updated_at": "2024-03-01T09:00:00+00:00"}}
    ibuprofen = stored(kb, f"{p}:2")
    assert ibuprofen["title"] == "Ибупрофен" and ibuprofen["acl"] == ["clinicians", "pharmacists"]
    assert ibuprofen["metadata"]["user"]["price"] == 4  # NUMERIC 4.00 → a JSON integer, not "Decimal('4.00')"
    assert "日本語のテキスト" in chunk_text(kb, f"{p}:2") and "café naïve" in chunk_text(kb, f"{p}:2")
    assert stored(kb, f"{p}:4")["acl"] == []
    # The watermark counts every row read, the NULL-text one too, and keeps microseconds.
    assert first.watermark == "2024-03-01T09:03:00.000250+00:00"

    with engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == 1).values(
            body="Aspirin inhibits platelet aggregation; low doses prevent a second heart attack.",
            updated_at=T0 + timedelta(hours=1)))
        conn.execute(table.insert().values(id=5, body="Metformin is first-line therapy for type 2 diabetes.",
                                           title="Metformin", category="drug", groups=["clinicians"],
                                           updated_at=T0 + timedelta(hours=2)))

    second = pg_connector(pg_url, table, since=first.watermark)
    items = list(second.iter_documents())
    docs, errors = split(items)
    assert errors == [] and [d.id for d in docs] == [f"{p}:1", f"{p}:5"]  # oldest change first
    assert second.watermark == "2024-03-01T11:00:00+00:00"

    report = kb.ingest(iter(items))
    assert (report.documents_updated, report.documents_added, report.errors) == (1, 1, [])
    assert "second heart attack" in chunk_text(kb, f"{p}:1")
    assert len(kb.catalog.documents()) == 4

    # Nothing changed since: nothing is read and the watermark stays put for the next run.
    third = pg_connector(pg_url, table, since=second.watermark)
    assert list(third.iter_documents()) == [] and third.watermark == second.watermark


def test_postgres_table_name_query_and_since_as_datetime(pg_url, pg_table):
    _, table = pg_table
    connector = SQLConnector(pg_url, table.name, id_column="id", text_column="body", metadata_columns=None,
                             updated_column="updated_at", since=T0 + timedelta(minutes=1), id_prefix="")
    docs, errors = split(list(connector.iter_documents()))
    assert [d.id for d in docs] == ["4"] and [e.source for e in errors] == ["sql:3"]
    # metadata_columns=None keeps every unmapped column, JSON-safe.
    assert docs[0].metadata == {"user": {"title": "Influenza", "category": "guideline", "groups": [], "price": None}}


def test_postgres_missing_column_names_it_and_lists_the_columns(pg_url, pg_table):
    _, table = pg_table
    items = list(SQLConnector(pg_url, table.name, id_column="id", text_column="Body",
                              updated_column="modified", since="2024-01-01").iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    message = str(items[0])
    assert "['Body', 'modified']" in message and "'updated_at'" in message and "did you mean" in message


def test_postgres_bad_query_is_one_error(pg_url, pg_table):
    items = list(SQLConnector(pg_url, "SELECT id, body FROM no_such_table_here", id_column="id",
                              text_column="body").iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    assert "no_such_table_here" in str(items[0]) and "fix the query" in str(items[0])


def test_postgres_wrong_password_is_one_error_without_the_password(pg_url):
    url = sa.make_url(pg_url).set(password="Wr0ng-s3cret!")
    items = list(SQLConnector(url.render_as_string(hide_password=False), "t", id_column="id",
                              text_column="body").iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    message = str(items[0])
    assert "password authentication failed" in message and "Wr0ng-s3cret!" not in message + items[0].source
    assert ":***@" in message


# --- no server needed ---------------------------------------------------------------------------
def test_refused_connection_is_one_error_with_the_password_masked():
    url = "postgresql+psycopg://assistant:Sup3r-secret@127.0.0.1:1/assistant_test"
    items = list(SQLConnector(url, "SELECT * FROM docs", id_column="id", text_column="body").iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError)
    message = str(items[0])
    assert "Sup3r-secret" not in message + items[0].source
    assert "expected a reachable database at postgresql+psycopg://assistant:***@127.0.0.1:1/assistant_test" in message
    assert "refused" in message.lower() and "check the URL" in message


def test_unknown_driver_is_one_error():
    items = list(SQLConnector("nosuchdb://u:pw-XYZ@h/db", "t", id_column="id", text_column="body").iter_documents())
    assert len(items) == 1 and isinstance(items[0], SourceError) and "pw-XYZ" not in str(items[0])


def test_sqlite_rows_incremental_and_missing_column(tmp_path, new_kb):
    url = f"sqlite:///{tmp_path / 'notes.db'}"
    engine = sa.create_engine(url)
    meta = sa.MetaData()
    notes = sa.Table("notes", meta, sa.Column("note_id", sa.String, primary_key=True),
                     sa.Column("content", sa.Text), sa.Column("acl", sa.String),
                     sa.Column("modified", sa.DateTime))
    meta.create_all(engine)
    base = datetime(2024, 5, 1, 12, 0)
    with engine.begin() as conn:
        conn.execute(notes.insert(), [
            {"note_id": "N-1", "content": "Lease deposits are returned within thirty days.", "acl": "legal, hr",
             "modified": base},
            {"note_id": "N-2", "content": "   ", "acl": None, "modified": base + timedelta(seconds=1)},
            {"note_id": "N-3", "content": "Mutual NDAs bind both parties to confidentiality.", "acl": "",
             "modified": base + timedelta(seconds=2)},
        ])
    engine.dispose()

    kb = new_kb()
    connector = SQLConnector(url, "SELECT note_id, content, acl, modified FROM notes;", id_column="note_id",
                             text_column="content", acl_column="acl", updated_column="modified",
                             metadata_columns=("modified",), domain="legal")
    report = kb.ingest(connector.iter_documents())
    assert report.documents_added == 2 and [e["source"] for e in report.errors] == ["sql:notes:N-2"]
    assert stored(kb, "notes:N-1")["acl"] == ["legal", "hr"] and stored(kb, "notes:N-3")["acl"] == []
    # SQLite hands back the stored text; the watermark keeps that form so the next `>` compares like for like.
    assert connector.watermark == "2024-05-01 12:00:02.000000"

    again = SQLConnector(url, "notes", id_column="note_id", text_column="content", updated_column="modified",
                         since=connector.watermark)
    assert list(again.iter_documents()) == []
    as_datetime = SQLConnector(url, "notes", id_column="note_id", text_column="content",
                               updated_column="modified", since=base + timedelta(seconds=1))
    assert [getattr(d, "id", None) for d in as_datetime.iter_documents()] == ["notes:N-3"]

    missing = list(SQLConnector(url, "notes", id_column="id", text_column="content").iter_documents())
    assert len(missing) == 1 and isinstance(missing[0], SourceError)
    assert "['id']" in str(missing[0]) and "'note_id'" in str(missing[0])


def test_json_safe_values():
    from decimal import Decimal
    value = {"when": datetime(2024, 1, 2, 3, 4, 5), "n": Decimal("2.50"), "raw": b"\xff\x00", "s": {2, 1},
             "u": uuid.UUID(int=1), "nan": float("nan")}
    safe = json_safe(value)
    assert json.loads(json.dumps(safe)) == safe
    assert safe["when"] == "2024-01-02T03:04:05" and safe["n"] == 2.5 and safe["raw"].startswith("base64:")
    assert safe["s"] == [1, 2] and safe["u"] == "00000000-0000-0000-0000-000000000001" and safe["nan"] == "nan"
