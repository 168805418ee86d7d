"""The CLI's warm path against the page's answer time, in one run on one machine.

    python bench/cli_warm.py [--kb .kb/demo] [--questions 3]

Starts `assistant serve` on a copy of the KB (the demo KB is built when absent), then for each question:
the served answer time (the API's own `timings.total`, what the page waits for), the wall time of
`assistant ask QUESTION --kb KB --json` finding that server, and once the wall time of
`assistant ask --no-server` (the models loaded in the CLI's process, as before the warm path). Prints
each and the ratio CLI / served (issue 20 asks <= 2x)."""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.apps.local_server import NOTE, find  # noqa: E402
from assistant.demo import QUESTIONS, ensure_demo_kb  # noqa: E402


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(*args: str) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assistant.cli", *args, "--json"], capture_output=True, text=True,
                          timeout=1800, cwd=ROOT)
    if done.returncode:
        raise SystemExit(f"assistant {' '.join(args)} failed: {done.stderr[-2000:]}")
    return time.perf_counter() - started, json.loads(done.stdout)


def served_answer(url: str, question: str) -> float:
    body = json.dumps({"model": "domain-assistant", "messages": [{"role": "user", "content": question}]}).encode()
    request = urllib.request.Request(f"{url}/v1/chat/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=1800) as response:
        return float(json.loads(response.read())["assistant"]["timings"]["total"])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--kb", default=str(ROOT / ".kb" / "demo"))
    p.add_argument("--questions", type=int, default=3)
    args = p.parse_args()
    ensure_demo_kb(args.kb).close()
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
                 if line.strip()][: args.questions]
    with tempfile.TemporaryDirectory() as tmp:
        kb = Path(tmp) / "kb"
        shutil.copytree(args.kb, kb, ignore=shutil.ignore_patterns(".lock", "audit.sqlite*", NOTE))
        port = free_port()
        server = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--kb", str(kb), "--port", str(port)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
        try:
            started = time.perf_counter()
            while find(kb) is None:
                if server.poll() is not None or time.perf_counter() - started > 600:
                    raise SystemExit("the server did not start")
                time.sleep(0.5)
            print(f"server up in {time.perf_counter() - started:.1f} s (models loaded once)", file=sys.stderr)
            url = f"http://127.0.0.1:{port}"
            served_answer(url, questions[0])  # the first answer warms caches; not counted
            rows = []
            for q in questions:
                page = served_answer(url, q)
                wall, d = cli("ask", q, "--kb", str(kb))
                assert d.get("served_by") == url, "the CLI did not use the server"
                rows.append((q, page, wall))
            cold, d = cli("ask", questions[0], "--kb", str(kb), "--no-server")
        finally:
            server.terminate()
            server.wait(timeout=60)
    print(f"{'question':<60} {'served answer s':>16} {'CLI ask s':>10} {'ratio':>6}")
    for q, page, wall in rows:
        print(f"{q[:60]:<60} {page:>16.2f} {wall:>10.2f} {wall / page:>6.2f}")
    ratio = statistics.median(wall / page for _, page, wall in rows)
    print(f"median ratio CLI / served answer: {ratio:.2f} (target <= 2); `ask --no-server` (models loaded in "
          f"the CLI): {cold:.1f} s wall, of which load {d['timings']['load']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
