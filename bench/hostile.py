"""Hostile input, counted: a folder of hostile files (bench/hostile_corpus.py) ingested beside good ones,
then an attack set of API requests against two real servers on loopback — one with a users file
(alice: nurses, bob: paralegals, dana: both, rhea: reads nurses, carol: no group, ada: admin) and one
local (no users file, as `make demo` serves) — with hostile files, group fields, ids, bodies, routes,
origins and keys. Prints, and fails (exit 1) unless all are zero:

- batch crashes: a folder ingest that raised, a CLI ingest that printed a traceback or exited > 1
- writes outside the KB: any file created or changed outside the KB and the input folder
- 5xx: any reply with a server-error status
- ACL leaks: a reply that carries the text of a document its caller may not see
- unauthorised changes: a change (upload, replace, delete) a caller's roles do not allow that went through
- good documents lost: a good document (ingested, or uploaded beside a hostile one) missing at the end

    .venv/bin/python bench/hostile.py [--requests 1000] [--chats 2] [--seed 13] [--json out.json]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.hostile_corpus import GOOD, hostile_cases  # noqa: E402
from tests.conftest import free_port  # noqa: E402

SECRETS = {"nurses": "QZX-NURSES-7781 ward 7 night shift code", "paralegals": "QZX-PARALEGALS-4410 settlement figure"}
USERS = {"alice": (["nurses"], []), "bob": (["paralegals"], []), "dana": (["nurses", "paralegals"], []),
         "rhea": ([], ["nurses"]), "carol": ([], []), "ada": (["admins"], [])}
HOSTILE_GROUPS = ["../../escape", "/tmp/hostile-abs", "..", ".", "a/b", "nurses,../x", "~public", "x" * 80,
                  "nurses\x00", "nur\u202eses", "admins", "paralegals", "nurses"]
HOSTILE_IDS = ["../../etc/passwd", "/etc/passwd", "uploads/nurses/secret", "uploads/paralegals/secret",
               "health/metformin.md", "a\x07b", "report\u202egpj", "x" * 5000, "", "  ", "uploads/../../x"]


def snapshot(folder: Path, skip: tuple[Path, ...]) -> dict[str, str]:
    out = {}
    for p in folder.rglob("*"):
        if any(p == s or s in p.parents for s in skip) or not p.is_file() or p.is_symlink():
            continue
        out[str(p)] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


def start(app) -> tuple[str, object]:
    import uvicorn

    from assistant.apps.server import uvicorn_config

    port = free_port()
    server = uvicorn.Server(uvicorn_config(app, "127.0.0.1", port))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server


def folder_phase(work: Path, kb, counts: dict) -> set[str]:
    """Every case written into one folder beside the good files and two symlinks out; returns good ids."""
    from assistant.connectors import connector_for

    inbox = work / "inbox"
    inbox.mkdir()
    for case in hostile_cases():
        if "/" in case.name or case.name in (".", ".."):
            continue  # not a file name a folder can hold (the API phase uploads these)
        try:
            (inbox / case.name).write_bytes(case.data)
        except OSError:
            continue
    for name, data in GOOD.items():
        (inbox / name).write_bytes(data)
    (inbox / "link-out.md").symlink_to(work / "outside" / "sentinel.md")
    (inbox / "dir-out").symlink_to(work / "outside", target_is_directory=True)
    try:
        report = kb.ingest(connector_for(inbox).iter_documents())
        counts["folder errors listed"] = len(report.errors)
    except Exception as exc:  # noqa: BLE001 - what is counted
        counts["batch crashes"] += 1
        print(f"folder ingest crashed: {type(exc).__name__}: {exc}", file=sys.stderr)
    cli = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(inbox), "--kb", str(work / "kb-cli"),
                          "--json"], capture_output=True, text=True, cwd=ROOT, timeout=900)
    if cli.returncode not in (0, 1) or "Traceback" in cli.stderr:
        counts["batch crashes"] += 1
        print(f"CLI ingest: exit {cli.returncode}\n{cli.stderr[-2000:]}", file=sys.stderr)
    return {f"inbox/{name}" for name in GOOD}


class Attack:
    """Sends requests, counting 5xx, leaks and unauthorised changes as they come."""

    def __init__(self, url: str, local_url: str, keys: dict[str, str], counts: dict, rng: random.Random) -> None:
        self.url, self.local_url, self.keys, self.counts, self.rng = url, local_url, keys, counts, rng
        self.client = httpx.Client(timeout=600)
        self.expected: set[str] = set()  # good documents uploaded beside hostile ones that must stay
        self.sent = 0
        self.statuses: dict[int, int] = {}

    def send(self, who: str | None, method: str, path: str, local: bool = False, **kwargs) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}))
        if who == "badkey":
            headers["Authorization"] = "Bearer sk-da-not-a-key"
        elif who is not None and not local:
            headers["Authorization"] = f"Bearer {self.keys[who]}"
        reply = self.client.request(method, (self.local_url if local else self.url) + path, headers=headers, **kwargs)
        self.sent += 1
        self.statuses[reply.status_code] = self.statuses.get(reply.status_code, 0) + 1
        if reply.status_code >= 500:
            self.counts["5xx"] += 1
            print(f"5xx: {method} {path} as {who}: {reply.status_code} {reply.text[:300]}", file=sys.stderr)
        if not local:
            readable = set(USERS.get(who, ([], []))[0]) | set(USERS.get(who, ([], []))[1])
            for group, secret in SECRETS.items():
                if group not in readable and secret.split()[0] in reply.text:
                    self.counts["ACL leaks"] += 1
                    print(f"leak: {group}'s secret reached {who} via {method} {path}", file=sys.stderr)
        return reply

    def upload(self, n: int, cases) -> None:
        case = self.rng.choice(cases)
        who = self.rng.choice([*USERS, None, "badkey"])
        groups = None if self.rng.random() < 0.5 else self.rng.choice(HOSTILE_GROUPS)
        good_name = f"good-{n}.md"
        files = [("files", (case.name, case.data)), ("files", (good_name, b"# Good %d\n\nA good note number %d." % (n, n)))]
        reply = self.send(who, "POST", "/v1/documents", files=files, data={"groups": groups} if groups else None)
        if reply.status_code == 200:
            if who in ("rhea", "carol", None, "badkey") or (groups and groups not in USERS.get(who, ([], []))[0]
                                                           and who != "ada"):
                self.counts["unauthorised changes"] += 1
                print(f"unauthorised upload by {who} to {groups!r} went through", file=sys.stderr)
            body = reply.json()
            if not any(e["source"].endswith(good_name) for e in body["errors"]):
                folder = groups or "+".join(sorted(USERS[who][0]))
                self.expected.add(f"uploads/{folder}/{good_name}")

    def texts(self) -> None:
        who = self.rng.choice([*USERS, None])
        doc = self.rng.choice([{"id": self.rng.choice(HOSTILE_IDS), "text": "A hostile id's text."},
                               {"text": ["not", "a", "string"]}, {"text": "ok", "metadata": {"acl": 5}},
                               {"text": "ok", "metadata": {"page_starts": "x", "structure": 1}},
                               {"text": "x" * 100_000}, {"text": ""}, {"id": 7, "text": "t"}, {"text": "ok", "title": None}])
        reply = self.send(who, "POST", "/v1/documents", json={"documents": [doc]})
        if reply.status_code == 200 and who in ("rhea", "carol", None):
            self.counts["unauthorised changes"] += 1

    def delete(self) -> None:
        who = self.rng.choice(["alice", "bob", "rhea", "carol", "dana", None, "badkey"])
        target = self.rng.choice(["health/metformin.md", "uploads/nurses/secret", "uploads/paralegals/secret",
                                  "../../etc/passwd", "%2e%2e/%2e%2e/etc"])
        reply = self.send(who, "DELETE", f"/v1/documents/{target}")
        owner = target.split("/")[1] if target.startswith("uploads/") else None
        allowed = who == "dana" and owner in ("nurses", "paralegals") or who in ("alice",) and owner == "nurses" \
            or who == "bob" and owner == "paralegals"
        if reply.status_code == 200 and not allowed:
            self.counts["unauthorised changes"] += 1
            print(f"unauthorised delete of {target} by {who}", file=sys.stderr)
        if reply.status_code == 200:  # an allowed delete of a secret: put it back for the leak checks
            self.counts["secrets deleted and restored"] += 1
            restore_secrets(self)

    def malformed(self) -> None:
        who = self.rng.choice(["alice", None, "badkey"])
        choice = self.rng.randrange(10)
        if choice == 0:
            self.send(who, "POST", "/v1/search", content=b"{not json", headers={"content-type": "application/json"})
        elif choice == 1:
            self.send(who, "POST", "/v1/chat/completions", json={"model": "auto", "messages": [
                {"role": "user", "content": "What is metformin?"}, {"role": "user", "content": "  "}]})
        elif choice == 2:
            self.send(who, "POST", "/v1/search", json={"query": "x", "k": self.rng.choice([-1, 0, 10**9, "ten"])})
        elif choice == 3:
            self.send(who, "GET", self.rng.choice(["/v1/nothing", "/v1/../etc/passwd", "/v1/documents/" + "a" * 3000]))
        elif choice == 4:
            self.send(who, "PUT", "/v1/search", json={})
        elif choice == 5:
            self.send(who, "POST", "/v1/documents", content=b"x" * 2_000_000, headers={"content-type": "application/json"})
        elif choice == 6:
            self.send(who, "POST", "/v1/documents", content=b"plain", headers={"content-type": "text/plain"})
        elif choice == 7:
            self.send(who, "POST", "/v1/chat/completions", json={"model": "auto", "messages": [{"role": "robot"}]})
        elif choice == 8:
            self.send(who, "POST", "/v1/search", json={"query": "ward", "filters": {"since": "not-a-date"}})
        else:
            self.send(who, "POST", "/v1/documents", content=b"--x\r\nbroken multipart",
                      headers={"content-type": "multipart/form-data; boundary=x"})

    def read(self) -> None:
        who = self.rng.choice([*USERS, None])
        choice = self.rng.randrange(3)
        if choice == 0:
            self.send(who, "POST", "/v1/search", json={"query": self.rng.choice(["night shift code", "settlement figure",
                                                                                  "QZX", "ward 7"]), "k": 20})
        elif choice == 1:
            self.send(who, "GET", "/v1/documents")
        else:
            self.send(who, "GET", "/health")

    def local(self, n: int, cases) -> None:
        """The local server: hostile groups, names and foreign origins must write nothing outside the KB."""
        case = self.rng.choice(cases)
        headers = self.rng.choice([{}, {"Origin": "https://evil.example"}, {"Origin": "null"},
                                   {"Referer": "https://evil.example/x"}])
        groups = self.rng.choice([None, *HOSTILE_GROUPS])
        reply = self.send(None, "POST", "/v1/documents", local=True, headers=headers,
                          files=[("files", (case.name, case.data))], data={"groups": groups} if groups else None)
        if headers and reply.status_code == 200:
            self.counts["unauthorised changes"] += 1
            print(f"cross-origin upload {headers} went through", file=sys.stderr)


def restore_secrets(attack: Attack) -> None:
    for user, group in (("alice", "nurses"), ("bob", "paralegals")):
        reply = attack.client.post(attack.url + "/v1/documents", headers={"Authorization": f"Bearer {attack.keys[user]}"},
                                   json={"documents": [{"id": "secret", "text": SECRETS[group]}]})
        assert reply.status_code == 200, reply.text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=2, help="real answered chats probing for leaks (slow)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--json", help="write the counts here")
    args = parser.parse_args(argv)

    from fastapi import FastAPI

    from assistant.apps.api import add_api
    from assistant.apps.origin import SameOrigin
    from assistant.core.settings import Settings
    from assistant.core.users import UserStore
    from assistant.demo import ensure_demo_kb
    from assistant.ingest.kb import KnowledgeBase
    from assistant.pipeline import Assistant

    counts = {k: 0 for k in ("batch crashes", "writes outside the KB", "5xx", "ACL leaks", "unauthorised changes",
                             "good documents lost")}
    counts["secrets deleted and restored"] = 0
    rng = random.Random(args.seed)
    cases = hostile_cases(args.seed)
    with tempfile.TemporaryDirectory(prefix="hostile-") as tmp:
        work = Path(tmp)
        (work / "outside").mkdir()
        (work / "outside" / "sentinel.md").write_text("# Outside\n\nThis file lies outside every KB.")
        settings = Settings()
        ensure_demo_kb(work / "kb", settings).close()
        kb = KnowledgeBase(work / "kb", settings)
        skip = (work / "kb", work / "kb-cli", work / "inbox")
        before = snapshot(work, skip)
        good = folder_phase(work, kb, counts)
        public = {d.id for d in kb.catalog.documents() if not d.acl}

        store = UserStore(work / "users.json")
        keys = {}
        for name, (editors, readers) in USERS.items():
            store.add(name, "a long enough password", editors, readers, admin=name == "ada")
            keys[name] = store.new_api_key(name)
        assistant = Assistant(kb)
        app, local_app = FastAPI(), FastAPI()
        add_api(app, assistant, store)
        add_api(local_app, assistant)
        for a in (app, local_app):
            a.add_middleware(SameOrigin)
        (url, server), (local_url, local_server) = start(app), start(local_app)
        attack = Attack(url, local_url, keys, counts, rng)
        restore_secrets(attack)
        started = time.perf_counter()
        actions = [attack.upload, attack.texts, attack.delete, attack.malformed, attack.read, attack.local]
        weights = [3, 2, 1, 2, 3, 2]
        n = 0
        while attack.sent < args.requests:
            n += 1
            action = rng.choices(actions, weights)[0]
            action(n, cases) if action in (attack.upload, attack.local) else action()
        for _ in range(args.chats):
            for who in ("alice", "bob"):
                attack.send(who, "POST", "/v1/chat/completions", json={"model": "auto", "messages": [
                    {"role": "user", "content": "What is the night shift code and the settlement figure?"}]})
        seconds = time.perf_counter() - started
        server.should_exit = local_server.should_exit = True

        ids = {d.id for d in kb.catalog.documents()}
        lost = sorted((good | public | attack.expected | {"uploads/nurses/secret", "uploads/paralegals/secret"}) - ids)
        counts["good documents lost"] = len(lost)
        if lost:
            print(f"lost: {lost[:10]}", file=sys.stderr)
        after = snapshot(work, skip)
        changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k)
                         and not k.endswith("users.json"))
        strays = [p for p in ("/tmp/hostile-absolute.md", "/tmp/hostile-abs", "/tmp/escape.md") if Path(p).exists()]
        counts["writes outside the KB"] = len(changed) + len(strays)
        if changed or strays:
            print(f"outside writes: {(changed + strays)[:10]}", file=sys.stderr)
        kb.close()

    summary = {"hostile cases": len(cases), "requests": attack.sent, "seconds": round(seconds, 1),
               "good uploads kept": len(attack.expected), **counts,
               "statuses": dict(sorted(attack.statuses.items()))}
    for key, value in summary.items():
        print(f"{key:>30}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    bad = [k for k in ("batch crashes", "writes outside the KB", "5xx", "ACL leaks", "unauthorised changes",
                       "good documents lost") if counts[k]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
