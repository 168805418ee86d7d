"""The users file: hashed passwords, groups as ACL filters, API keys stored as digests."""

import json
import subprocess
import sys

import pytest

from assistant.core.types import SearchFilter
from assistant.core.users import (
    KEY_PREFIX,
    AccessDenied,
    User,
    UserError,
    UserStore,
    check_groups,
    may_write,
    upload_acl,
)


def test_passwords_and_keys_are_checked_but_never_stored_in_clear(tmp_path):
    path = tmp_path / "users.json"
    store = UserStore(path)
    store.add("alice", "correct horse", ["nurses", "ward-3"])
    key = store.new_api_key("alice")
    assert key.startswith(KEY_PREFIX)
    assert store.authenticate("alice", "correct horse").groups == ("nurses", "ward-3")
    assert store.authenticate("alice", "wrong horse!") is None and store.authenticate("bob", "x" * 8) is None
    assert store.by_api_key(key).name == "alice" and store.by_api_key(key + "x") is None
    raw = path.read_text()
    assert "correct horse" not in raw and key not in raw
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    # Another process (the CLI) changes the file: a running store sees it without a restart.
    UserStore(path).set_groups("alice", ["lawyers"])
    assert store.get("alice").groups == ("lawyers",)


def test_user_filters_keep_request_filters_and_set_the_acl(tmp_path):
    store = UserStore(tmp_path / "u.json")
    user = store.add("clerk", "12345678", [])
    assert user.filters() == SearchFilter(groups=())  # in no group: public documents only
    narrowed = store.add("bob", "12345678", ["legal"]).filters(SearchFilter(domains=("legal",), groups=("x",)))
    assert narrowed.domains == ("legal",) and narrowed.groups == ("legal",)


@pytest.mark.parametrize("name, password, groups, message", [
    ("bad name!", "12345678", [], "user name"), ("ok", "short", [], "at least 8"),
    ("ok", "12345678", ["no spaces"], "group names")])
def test_bad_users_are_refused_with_what_was_expected(tmp_path, name, password, groups, message):
    with pytest.raises(UserError, match=message):
        UserStore(tmp_path / "u.json").add(name, password, groups)


def test_a_corrupt_users_file_says_how_to_recover(tmp_path):
    path = tmp_path / "u.json"
    path.write_text("{not json")
    with pytest.raises(UserError, match="expected JSON"):
        UserStore(path).users()
    with pytest.raises(UserError, match="no user 'ghost'"):
        UserStore(tmp_path / "other.json").remove("ghost")


def test_users_command_adds_lists_issues_keys_and_removes(tmp_path):
    path = str(tmp_path / "users.json")

    def run(*args, stdin=None):
        done = subprocess.run([sys.executable, "-m", "assistant.cli", "users", "--file", path, *args], input=stdin,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert "groups nurses (editor), pharmacy (reader)" in run("add", "amy", "--group", "nurses", "--reader", "pharmacy",
                                                               "--password-stdin", stdin="long enough pw\n")
    key = run("key", "amy").strip()
    assert UserStore(path).by_api_key(key).name == "amy"
    assert json.loads(run("list")) == [{"name": "amy", "groups": ["nurses", "pharmacy"], "admin": False,
                                        "roles": {"nurses": "editor", "pharmacy": "reader"}}]
    assert "; admin" in run("groups", "amy", "--group", "nurses", "--admin")
    assert UserStore(path).get("amy").admin and UserStore(path).get("amy").writable_groups == ("nurses",)
    run("remove", "amy")
    assert json.loads(run("list")) == []


def test_roles_decide_who_may_write_which_documents(tmp_path):
    store = UserStore(tmp_path / "u.json")
    nurse = store.add("nina", "12345678", ["nurses"], readers=["pharmacy"])
    admin = store.add("ada", "12345678", [], admin=True)
    assert nurse.groups == ("nurses", "pharmacy") and nurse.writable_groups == ("nurses",)
    assert may_write(nurse, ("nurses",)) and not may_write(nurse, ("pharmacy",))
    assert not may_write(nurse, ("nurses", "pharmacy"))  # a change reaches pharmacy, where she only reads
    assert not may_write(nurse, ())  # public documents: admins only
    assert may_write(admin, ()) and may_write(admin, ("legal",)) and may_write(None, ())
    assert upload_acl(nurse) == ("nurses",) and upload_acl(None, ["x"]) == ("x",) and upload_acl(None) == ()
    with pytest.raises(AccessDenied, match="not yours to write"):
        upload_acl(nurse, ["pharmacy"])
    with pytest.raises(AccessDenied, match="may not add documents"):
        upload_acl(User("rita", ("pharmacy",), editor_of=()))
    # A users file written before roles: every member edits its groups, as it always could.
    legacy = tmp_path / "old.json"
    legacy.write_text(json.dumps({"format": 1, "users": {"old": {"password": "x", "groups": ["ward"]}}}))
    assert UserStore(legacy).get("old").writable_groups == ("ward",)


@pytest.mark.parametrize("hostile", ["../../etc", "/tmp/x", "a/b", "nurses+admins", "~public", "..", "a\x00b",
                                     "x" * 65, "a\u202eb"])
def test_group_names_that_could_name_a_path_are_refused(hostile):
    with pytest.raises(AccessDenied, match="expected 1-64 letters") as refused:
        check_groups([hostile])
    assert refused.value.status == 422
    with pytest.raises(AccessDenied):
        upload_acl(None, [hostile])  # the local caller too: its groups become a folder name
