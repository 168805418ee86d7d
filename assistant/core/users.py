"""Users, their groups and API keys, kept in one JSON file that the web page and the API both read.

A user's groups are their document ACL: `User.filters()` gives the `SearchFilter` every request of
theirs runs under, so a passage outside their groups never reaches the generator, the sources panel or
the API. Each group comes with a role: a `reader` only reads its documents, an `editor` may also add,
replace and delete them; an `admin` may write every document, public ones included. `may_write` and
`upload_acl` below are the one rule the page, the API and the upload core apply. Passwords are
stored as scrypt hashes and API keys as SHA-256 digests: whoever reads the file learns neither. Edit it with `assistant users ...`; the file is rewritten atomically (temp file +
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

from assistant.core.errors import AssistantError
from assistant.core.types import SearchFilter

FORMAT = 1
NAME = re.compile(r"[A-Za-z0-9_.@-]{1,64}")  # user names
# Group names also name upload folders: they start with a letter or digit, so "." and ".." never pass.
GROUP = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}  # ~50 ms a check: cheap for a login, costly for a guesser
KEY_PREFIX = "sk-da-"
READER, EDITOR = "reader", "editor"
ROLES = (READER, EDITOR)


class UserError(AssistantError):
    """The users file is missing, malformed, or a user operation was refused."""


class AccessDenied(AssistantError):
    """A write the caller's roles do not allow (or a group name that is not valid). `code` is the
    API's machine-readable reason, `status` its HTTP status and `param` the request field it concerns;
    the API answers every one with them (apps/api.py), the page shows the message."""

    def __init__(self, message: str, code: str = "forbidden", status: int = 403, param: str = "groups") -> None:
        super().__init__(message)
        self.code, self.status, self.param = code, status, param


@dataclass(frozen=True)
class User:
    name: str
    groups: tuple[str, ...]
    # The groups whose documents this user may change; None: all of `groups` (users files written
    # before roles existed gave every member that right, and keep it).
    editor_of: tuple[str, ...] | None = None
    admin: bool = False

    @property
    def writable_groups(self) -> tuple[str, ...]:
        return self.groups if self.editor_of is None else tuple(g for g in self.groups if g in self.editor_of)

    def role(self, group: str) -> str | None:
        return (EDITOR if group in self.writable_groups else READER) if group in self.groups else None

    def filters(self, base: SearchFilter | None = None) -> SearchFilter:
        """`base` (metadata filters from the request) narrowed to what this user may see."""
        from dataclasses import replace

        return replace(base or SearchFilter(), groups=self.groups)


def filters_for(user: User | None, base: SearchFilter | None = None) -> SearchFilter | None:
    """The filter every request of `user` runs under: `base` (the request's own metadata filters)
    narrowed to their groups. None is the trusted local caller (no users file): `base` as it is."""
    return user.filters(base) if user is not None else base


def check_groups(groups, what: str = "group names") -> tuple[str, ...]:
    """The one pattern for group names everywhere (users file, uploads, API): a name that is a path
    ("../x", "/etc") or holds separators can never reach a folder name."""
    if isinstance(groups, str):
        groups = [groups]
    out = tuple(dict.fromkeys(str(g).strip() for g in groups if str(g).strip()))
    bad = [g for g in out if not GROUP.fullmatch(g)]
    if bad:
        raise AccessDenied(f"{what}: expected 1-64 letters, digits or _.@- starting with a letter or digit, found "
                           f"{bad[:3]!r}; "
                           "choose names like 'nurses' or 'legal-team'", "invalid_group", 422)
    return out


def may_write(user: User | None, acl) -> bool:
    """Whether `user` may replace or delete a document with `acl` (empty: public). None is the trusted
    local caller (no users file). An editor must hold every group of the ACL: a change reaches all of
    them. Public documents belong to admins only."""
    if user is None or user.admin:
        return True
    return bool(acl) and set(acl) <= set(user.writable_groups)


def upload_acl(user: User | None, requested=None) -> tuple[str, ...]:
    """The ACL a new document of `user` gets: the `requested` groups (validated, each one the user may
    write to), else every group the user may write to. The local caller gets what it names, or public."""
    requested = check_groups(requested or ())
    if user is None:
        return requested
    if requested:
        allowed = set(user.writable_groups) | (set(requested) if user.admin else set())
        outside = sorted(set(requested) - allowed)
        if outside:
            raise AccessDenied(f"groups {outside} are not yours to write to; expected a subset of the groups "
                               f"where you are an editor: {list(user.writable_groups)}", "forbidden_group")
        return requested
    if not user.groups:
        raise AccessDenied(f"user {user.name} belongs to no group, so an upload would be visible to everyone; ask an "
                           "admin to add you to a group (`assistant users --file USERS groups NAME --group G`)",
                           "no_group")
    if not user.writable_groups:
        raise AccessDenied(f"user {user.name} is a reader of {list(user.groups)} and may not add documents; ask an "
                           "admin to make you an editor (`assistant users --file USERS groups NAME --group G`)",
                           "read_only")
    return user.writable_groups


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
    def add(self, name: str, password: str, groups: tuple[str, ...] | list[str] = (),
            readers: tuple[str, ...] | list[str] = (), admin: bool = False) -> User:
        """`groups`: where the user is an editor; `readers`: where they may only read."""
        if not NAME.fullmatch(name):
            raise UserError(f"user name: expected 1-64 letters, digits or _.@-, found {name!r}")
        if len(password) < 8:
            raise UserError(f"password for {name}: expected at least 8 characters, found {len(password)}")
        roles = _roles(groups, readers)
        with self._lock:
            data = self._load()
            old = data["users"].get(name, {})
            data["users"][name] = {"password": hash_password(password), "groups": list(roles), "roles": roles,
                                   "admin": bool(admin), "api_keys": old.get("api_keys", [])}
            self._save(data)
            return _user(name, data["users"][name])

    def set_groups(self, name: str, groups: tuple[str, ...] | list[str], readers: tuple[str, ...] | list[str] = (),
                   admin: bool | None = None) -> User:
        """Replaces the user's groups and roles (`admin` None: unchanged)."""
        roles = _roles(groups, readers)
        with self._lock:
            data = self._load()
            entry = self._entry(data, name)
            entry["groups"], entry["roles"] = list(roles), roles
            if admin is not None:
                entry["admin"] = bool(admin)
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


def _roles(editors, readers) -> dict[str, str]:
    try:
        editors, readers = check_groups(editors), check_groups(readers)
    except AccessDenied as exc:
        raise UserError(str(exc)) from None
    both = sorted(set(editors) & set(readers))
    if both:
        raise UserError(f"groups {both}: expected each group once, as editor (--group) or reader (--reader)")
    return {**{g: EDITOR for g in editors}, **{g: READER for g in readers}}


def _user(name: str, entry: dict) -> User:
    groups = tuple(str(g) for g in entry.get("groups", []))
    roles = entry.get("roles")
    if not isinstance(roles, dict):  # a file from before roles: every member edits its groups
        return User(name, groups, admin=bool(entry.get("admin", False)))
    return User(name, groups, tuple(g for g in groups if roles.get(g, EDITOR) == EDITOR), bool(entry.get("admin", False)))


def visible(acl: tuple[str, ...], groups: tuple[str, ...]) -> bool:
    """Whether a caller in `groups` may see a chunk whose document has `acl` (empty = public)."""
    return not acl or not set(acl).isdisjoint(groups)
