"""Users, their groups and API keys, kept in one JSON file that the web page and the API both read.

A user's groups are their document ACL: `User.filters()` gives the `SearchFilter` every request of
theirs runs under, so a passage outside their groups never reaches the generator, the sources panel or
the API. Passwords are stored as scrypt hashes and API keys as SHA-256 digests: whoever reads the file
learns neither. Edit it with `assistant users ...`; the file is rewritten atomically (temp file +
rename), so a crash mid-write never leaves it half written.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import AssistantError
from .types import SearchFilter

FORMAT = 1
NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")  # user and group names (the API validates groups with it too)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~50 ms a check: cheap for a login, costly for a guesser
KEY_PREFIX = "sk-da-"


class UserError(AssistantError):
    """The users file is missing, malformed, or a user operation was refused."""


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...]

    def filters(self, base: SearchFilter | None = None) -> SearchFilter:
        """`base` (metadata filters from the request) narrowed to what this user may see."""
        from dataclasses import replace

        return replace(base or SearchFilter(), groups=self.groups)


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, dklen=32, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode("utf-8"), salt=bytes.fromhex(salt), dklen=len(digest) // 2,
                             n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(got.hex(), digest)


def _key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class UserStore:
    """The users file. Reads are re-done when the file changes on disk, so `assistant users add` takes
    effect in a running server without a restart."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._data: dict = {"format": FORMAT, "users": {}}
        self._mtime: float | None = None

    # -- reading -------------------------------------------------------------------------------------
    def _load(self) -> dict:
        try:
            mtime = self.path.stat().st_mtime_ns
        except FileNotFoundError:
            self._data, self._mtime = {"format": FORMAT, "users": {}}, None
            return self._data
        if mtime != self._mtime:
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise UserError(f"users file {self.path}: expected JSON written by `assistant users`, found "
                                f"unreadable content ({e}); restore it from a backup or re-create the users") from e
            if not isinstance(data, dict) or not isinstance(data.get("users"), dict):
                raise UserError(f"users file {self.path}: expected an object with a \"users\" object, found "
                                f"{type(data).__name__}; re-create it with `assistant users add`")
            self._data, self._mtime = data, mtime
        return self._data

    def users(self) -> list[User]:
        with self._lock:
            return [_user(name, entry) for name, entry in sorted(self._load()["users"].items())]

    def get(self, name: str) -> User | None:
        with self._lock:
            entry = self._load()["users"].get(name)
        return _user(name, entry) if entry else None

    def authenticate(self, name: str, password: str) -> User | None:
        with self._lock:
            entry = self._load()["users"].get(name)
        if not entry or not check_password(password, entry.get("password", "")):
            return None
        return _user(name, entry)

    def by_api_key(self, key: str) -> User | None:
        digest = _key_digest(key)
        with self._lock:
            for name, entry in self._load()["users"].items():
                if any(hmac.compare_digest(digest, d) for d in entry.get("api_keys", [])):
                    return _user(name, entry)
        return None

    def __len__(self) -> int:
        with self._lock:
            return len(self._load()["users"])

    # -- writing -------------------------------------------------------------------------------------
    def add(self, name: str, password: str, groups: tuple[str, ...] | list[str] = ()) -> User:
        if not NAME.fullmatch(name):
            raise UserError(f"user name: expected 1-64 letters, digits or _.@-, found {name!r}")
        if len(password) < 8:
            raise UserError(f"password for {name}: expected at least 8 characters, found {len(password)}")
        groups = _groups(groups)
        with self._lock:
            data = self._load()
            old = data["users"].get(name, {})
            data["users"][name] = {"password": hash_password(password), "groups": list(groups),
                                   "api_keys": old.get("api_keys", [])}
            self._save(data)
        return User(name, groups)

    def set_groups(self, name: str, groups: tuple[str, ...] | list[str]) -> User:
        with self._lock:
            data = self._load()
            entry = self._entry(data, name)
            entry["groups"] = list(_groups(groups))
            self._save(data)
            return _user(name, entry)

    def new_api_key(self, name: str) -> str:
        """A fresh key for `name`, shown once: only its digest is stored."""
        key = KEY_PREFIX + secrets.token_urlsafe(32)
        with self._lock:
            data = self._load()
            self._entry(data, name).setdefault("api_keys", []).append(_key_digest(key))
            self._save(data)
        return key

    def remove(self, name: str) -> None:
        with self._lock:
            data = self._load()
            self._entry(data, name)
            del data["users"][name]
            self._save(data)

    def _entry(self, data: dict, name: str) -> dict:
        if name not in data["users"]:
            raise UserError(f"no user {name!r} in {self.path}; known: {', '.join(sorted(data['users'])) or 'none'}")
        return data["users"][name]

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + f".{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # hashes are still secrets
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.path)
        self._mtime = self.path.stat().st_mtime_ns


def _groups(groups) -> tuple[str, ...]:
    out = tuple(dict.fromkeys(g.strip() for g in groups if g.strip()))
    bad = [g for g in out if not NAME.fullmatch(g)]
    if bad:
        raise UserError(f"group names: expected 1-64 letters, digits or _.@-, found {bad}")
    return out


def _user(name: str, entry: dict) -> User:
    return User(name, tuple(entry.get("groups", [])))
