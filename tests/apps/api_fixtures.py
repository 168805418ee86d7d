"""Fixtures of the API tests (imported by each tests/apps/test_api*.py): a private copy of the demo KB,
a users file with users in different groups, and servers on loopback (`http_server` of tests/conftest.py)."""

from __future__ import annotations

import shutil

import pytest

from assistant.core.users import UserStore
from assistant.ingest.kb import KnowledgeBase

# name → groups where they are editors; carol belongs to no group (she sees public documents only and
# may not upload); rhea reads the nurses' documents but may change none; ada is an admin
USERS = {"alice": ("nurses",), "bob": ("paralegals",), "carol": (), "dana": ("nurses", "paralegals"), "rhea": (),
         "ada": ("admins",)}
READERS = {"rhea": ("nurses",)}
ADMINS = {"ada"}


@pytest.fixture(scope="module")
def api_kb(tmp_path_factory, demo_kb_path, settings, embedder) -> KnowledgeBase:
    """The demo KB copied, so uploads and deletes here never change the session's shared demo KB."""
    path = tmp_path_factory.mktemp("api") / "kb"
    shutil.copytree(demo_kb_path, path)
    kb = KnowledgeBase(path, settings, embedder=embedder)
    yield kb
    kb.close()


@pytest.fixture(scope="module")
def api_users(tmp_path_factory) -> tuple[UserStore, dict[str, str]]:
    """The users file and each user's API key."""
    store = UserStore(tmp_path_factory.mktemp("users") / "users.json")
    keys = {}
    for name, groups in USERS.items():
        store.add(name, "a long enough password", groups, READERS.get(name, ()), admin=name in ADMINS)
        keys[name] = store.new_api_key(name)
    return store, keys


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
