"""`assistant users add | groups | key | list | remove --file USERS.json`: the users file the web page's
login and the API's keys read. Kept apart from cli.py, which only registers the command."""

from __future__ import annotations

import argparse
import getpass
import json
import sys

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings


def add_parser(sub) -> None:
    p = sub.add_parser("users", help="manage web/API users: passwords, ACL groups, API keys")
    p.add_argument("--file", required=True, help="users JSON file (created if missing; keep it private)")
    u = p.add_subparsers(dest="users_command", required=True)
    q = u.add_parser("add", help="add a user or reset their password and groups")
    q.add_argument("name")
    _role_options(q)
    q.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    q = u.add_parser("groups", help="replace a user's groups and roles")
    q.add_argument("name")
    _role_options(q)
    q = u.add_parser("key", help="issue an API key for a user (printed once; only its digest is stored)")
    q.add_argument("name")
    u.add_parser("list", help="users and their groups")
    q = u.add_parser("remove", help="delete a user and their API keys")
    q.add_argument("name")


def _role_options(q) -> None:
    q.add_argument("--group", action="append", default=[], metavar="G",
                   help="ACL group where the user is an editor: reads, adds, replaces and deletes its documents (repeatable)")
    q.add_argument("--reader", action="append", default=[], metavar="G",
                   help="ACL group whose documents the user may only read (repeatable)")
    q.add_argument("--admin", action=argparse.BooleanOptionalAction, default=None,
                   help="may change every document, public ones included (default: no; `groups` keeps it as it was)")


def _describe(user) -> str:
    roles = ", ".join(f"{g} ({user.role(g)})" for g in user.groups) or "(none: public documents only)"
    return f"{user.name}: groups {roles}" + ("; admin" if user.admin else "")


def run(args, settings: Settings) -> int:
    from assistant.core.users import UserStore

    store = UserStore(args.file)
    command = args.users_command
    if command == "add":
        if args.password_stdin:
            password = sys.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(f"password for {args.name}: ")
            if password != getpass.getpass("again: "):
                raise AssistantError("the two passwords differ; nothing changed")
        user = store.add(args.name, password, args.group, args.reader, bool(args.admin))
        print(_describe(user))
    elif command == "groups":
        user = store.set_groups(args.name, args.group, args.reader, args.admin)
        print(_describe(user))
    elif command == "key":
        print(store.new_api_key(args.name))
    elif command == "list":
        print(json.dumps([{"name": u.name, "groups": list(u.groups), "roles": {g: u.role(g) for g in u.groups},
                           "admin": u.admin} for u in store.users()]))
    elif command == "remove":
        store.remove(args.name)
        print(f"removed {args.name}")
    return 0
