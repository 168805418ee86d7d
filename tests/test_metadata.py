"""Record field checks and the user-metadata namespace (assistant/core/metadata.py), and document ids."""

from __future__ import annotations

import re

import pytest

from assistant.core.metadata import (
    FieldError,
    acl_groups,
    check_internal,
    optional_text,
    record_metadata,
)
from assistant.core.types import Document


@pytest.mark.parametrize("value, groups", [
    (None, ()), ("", ()), ("nurses", ("nurses",)), (" nurses , doctors ,", ("nurses", "doctors")),
    (["a", "b", "a"], ("a", "b")), ((), ())])
def test_acl_accepts_lists_and_comma_separated_strings(value, groups):
    assert acl_groups(value) == groups


@pytest.mark.parametrize("value, message", [
    (5, "acl: expected a list of group names or a comma-separated string, found int 5"),
    (False, "acl: expected a list of group names or a comma-separated string, found bool False"),
    ({"g": 1}, "acl: expected a list of group names or a comma-separated string, found dict {'g': 1}"),
    (["ok", None], "acl[1]: expected a group name (string), found NoneType None"),
])
def test_acl_of_the_wrong_type_names_field_expectation_and_finding(value, message):
    with pytest.raises(FieldError) as info:
        acl_groups(value)
    assert str(info.value) == message and info.value.field.startswith("acl")


def test_record_fields_go_under_user_except_the_filter_fields():
    assert record_metadata({"page_starts": [1], "structure": "x", "date": "2024-01", "doc_type": "memo",
                            "year": 2020}) == {"date": "2024-01", "doc_type": "memo",
                                               "user": {"page_starts": [1], "structure": "x", "year": 2020}}
    assert record_metadata({}) == {} and record_metadata({"date": "", "doc_type": None}) == {
        "user": {"date": "", "doc_type": None}}
    assert record_metadata({"date": 2021}) == {"date": 2021}
    with pytest.raises(FieldError, match=r"^doc_type: expected a string, found list \['a'\]$"):
        record_metadata({"doc_type": ["a"]})


def test_text_fields_accept_numbers_and_refuse_containers():
    assert optional_text(None, "title") == "" and optional_text(12, "title") == "12"
    with pytest.raises(FieldError, match="^title: expected a string, found bool True$"):
        optional_text(True, "title")


def test_a_long_value_is_cut_in_the_message():
    with pytest.raises(FieldError) as info:
        acl_groups({"k": "v" * 500})
    assert len(str(info.value)) < 200 and str(info.value).endswith("…")


@pytest.mark.parametrize("metadata, field", [
    ({"page_starts": "0,5"}, "page_starts"), ({"page_starts": [0, "5"]}, "page_starts"),
    ({"structure": [{"start": 0}]}, "structure"), ({"structure": "spans"}, "structure"),
    ({"encoding": 8}, "encoding")])
def test_internal_keys_of_the_wrong_shape_are_refused(metadata, field):
    with pytest.raises(FieldError, match=rf"^metadata\['{field}'\]: expected"):
        check_internal(metadata)


def test_internal_keys_of_the_right_shape_pass():
    check_internal({"page_starts": [0, 10], "structure": [{"start": 0, "end": 5, "section": "A"}],
                    "encoding": "cp1252", "user": {"page_starts": "anything"}})


@pytest.mark.parametrize("doc_id, code", [("a\u202eb", "U+202E"), ("a\u2067b", "U+2067"), ("a\u200eb", "U+200E"),
                                          ("a\tb", "U+0009"), ("a\x00b", "U+0000"), ("a\x9bb", "U+009B"),
                                          ("a\x7fb", "U+007F"), ("a\u061cb", "U+061C")])
def test_document_ids_with_control_or_bidi_characters_are_refused(doc_id, code):
    with pytest.raises(ValueError, match=re.escape(f"contains {code}") + ".*rename the file or fix the record"):
        Document(id=doc_id, text="x")


@pytest.mark.parametrize("doc_id", ["PMID:123", "docs/caf\u00e9 menu.md", "\u6587\u6863/\u7b14\u8bb0.txt",
                                    "\u05de\u05e1\u05de\u05da.txt", "a b#c"])
def test_ordinary_ids_including_right_to_left_scripts_pass(doc_id):
    assert Document(id=doc_id, text="x").id == doc_id
