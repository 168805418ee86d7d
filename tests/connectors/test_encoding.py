"""Text file encodings (issue 15): byte-order marks, UTF-16/32 without one, Western text as cp1252."""

from __future__ import annotations

import codecs

import pytest

from assistant.connectors import FileConnector
from assistant.connectors.encoding import NotText, decode_text

TEXT = "The naïve café owner said: “résumé first” — then left for Zürich.\n"


@pytest.mark.parametrize("encoding, bom", [
    ("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE), ("utf-16-be", codecs.BOM_UTF16_BE),
    ("utf-32-le", codecs.BOM_UTF32_LE), ("utf-32-be", codecs.BOM_UTF32_BE)])
def test_byte_order_marks_decide_the_encoding(tmp_path, encoding, bom):
    path = tmp_path / "note.txt"
    path.write_bytes(bom + TEXT.encode(encoding))
    (doc,) = FileConnector(path).iter_documents()
    assert doc.text == TEXT  # the mark itself is not text
    assert doc.metadata.get("encoding", "utf-8") == encoding


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_wide_unicode_without_a_mark_is_recognised_by_its_nul_pattern(encoding):
    assert decode_text(TEXT.encode(encoding)) == (TEXT, encoding)


@pytest.mark.parametrize("text", [
    "naïve\n",
    "Le garçon a mangé une crème brûlée à côté de l'hôtel.\n",
    "Die Straße ist schön, sagte der Bäcker. Grüße!\n",
    "He said “hello” — and left… for €5.\n",
])
def test_western_text_is_read_as_cp1252_not_cp1250(text):
    assert decode_text(text.encode("cp1252")) == (text, "cp1252")  # cp1250 would read "naïve" as "naďve"


@pytest.mark.parametrize("text, encoding", [
    ("Zażółć gęślą jaźń, powiedział Paweł.\n", "cp1250"),
    ("Příliš žluťoučký kůň úpěl ďábelské ódy. Děkuji, mám se dobře.\n", "cp1250"),
    ("Привет, как дела? Всё хорошо, спасибо.\n", "cp1251"),
])
def test_other_code_pages_still_win_where_cp1252_reads_badly(text, encoding):
    assert decode_text(text.encode(encoding)) == (text, encoding)


def test_latin1_file_keeps_naive_and_warns(tmp_path, new_kb):
    path = tmp_path / "latin.txt"
    path.write_bytes("A naïve reading of the rule is wrong.\n".encode("latin-1"))
    report = new_kb().ingest(FileConnector(path).iter_documents())
    assert report.documents_added == 1 and report.errors == []
    assert report.warnings == [{"source": str(path), "warning": "not UTF-8; decoded as cp1252 (a guess): check "
                                "accented characters, or re-save the file as UTF-8"}]


@pytest.mark.parametrize("data", [bytes(range(256)) * 8, b"\x7fELF\x02\x01\x01\x00\x00\x00" * 50,
                                  b"\x00\x01\x02binary\x00\x00"])
def test_binary_data_is_still_refused(data):
    with pytest.raises(NotText, match="binary"):
        decode_text(data)


def test_a_bom_followed_by_invalid_bytes_says_so():
    with pytest.raises(NotText, match="starts like utf-16-le text"):
        decode_text(codecs.BOM_UTF16_LE + b"\x00\xd8\x41\x00")  # a lone surrogate
