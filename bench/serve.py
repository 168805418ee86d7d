"""Load test of the served API on loopback: N concurrent chat requests (the demo questions in turn),
all through `POST /v1/chat/completions`, checking that every one is answered and none is lost.

By default it starts `assistant serve` on the demo KB in a subprocess (so the server's memory is its
own) and reads that process's RSS every 0.2 s: the peak shows memory stays bounded while 20 requests
wait in the answer queue. With --url it loads a server already running on this machine (127.0.0.1
only; its RSS is read when --pid is given). A 503 (queue full or wait too long) is retried after its
Retry-After, up to --deadline; a request still unanswered then counts as lost.

Prints p50/p95/max latency (request sent → whole answer received), throughput, abstentions, the
server-side generate time and the server's RSS before and at its peak.

    .venv/bin/python bench/serve.py [--requests 20] [--rounds 1] [--kb .kb/demo]
                                    [--url http://127.0.0.1:7860 [--pid PID]] [--deadline 1800] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retrieval_speed import rss_mb  # noqa: E402

from assistant.demo import QUESTIONS, ensure_demo_kb  # noqa: E402
from tests.conftest import free_port  # noqa: E402

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class RssMonitor:
    """The peak resident set of process `pid` (MiB), sampled from /proc every `every` seconds."""

    def __init__(self, pid: int | None, every: float = 0.2) -> None:
        self.pid, self.every, self.peak_mb, self.start_mb = pid, every, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def rss_mb(self) -> float:
        try:
            return rss_mb(self.pid)
        except Exception:  # noqa: BLE001 - the server has exited (OSError, or psutil's NoSuchProcess)
            return 0.0

    def __enter__(self) -> "RssMonitor":
        if self.pid:
            self.start_mb = self.peak_mb = self.rss_mb()
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.peak_mb = max(self.peak_mb, self.rss_mb())

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()


def start_server(kb: str, port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--kb", kb, "--port", str(port)],
                            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 300
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"the server exited while starting: {proc.stderr.read()[-2000:]}")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit("the server did not answer /health within 300 s")


def ask(url: str, question: str, deadline: float) -> dict:
    """One chat request, retried after Retry-After on a 503 until `deadline`."""
    started, retries = time.perf_counter(), 0
    body = {"model": "domain-assistant", "messages": [{"role": "user", "content": question}]}
    while True:
        try:
            r = httpx.post(f"{url}/v1/chat/completions", json=body, timeout=max(1.0, deadline - time.time()))
        except httpx.HTTPError as exc:
            return {"ok": False, "error": f"{type(exc).__name__}: {exc}", "retries": retries}
        wait = int(r.headers.get("Retry-After", "5"))
        if r.status_code == 503 and time.time() + wait < deadline:
            retries += 1
            time.sleep(wait)
            continue
        if r.status_code != 200:
            return {"ok": False, "error": f"HTTP {r.status_code}: {r.text[:200]}", "retries": retries}
        reply = r.json()
        extra = reply["assistant"]
        return {"ok": bool(reply["choices"][0]["message"]["content"]), "seconds": time.perf_counter() - started,
                "abstained": extra["abstained"], "generate_s": extra["timings"].get("generate"), "retries": retries}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=20, help="concurrent chat requests (all sent at once)")
    ap.add_argument("--kb", default=str(ROOT / ".kb" / "demo"), help="KB to serve (the demo KB is built if absent)")
    ap.add_argument("--url", help="load this running server instead (loopback only)")
    ap.add_argument("--pid", type=int, help="with --url: the server's process id, to read its memory")
    ap.add_argument("--rounds", type=int, default=1,
                    help="send the requests this many times, one round after another, to see memory level off")
    ap.add_argument("--deadline", type=float, default=1800, help="seconds a round may take; later answers are lost")
    ap.add_argument("--json", help="write the figures here")
    args = ap.parse_args()
    if not 1 <= args.requests <= 200:
        raise SystemExit(f"--requests: expected 1..200, found {args.requests}")
    questions = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines() if line.strip()]
    proc = None
    if args.url:
        if urlparse(args.url).hostname not in LOOPBACK:
            raise SystemExit(f"--url: expected a loopback address (127.0.0.1), found {args.url}")
        url, pid = args.url.rstrip("/"), args.pid
    else:
        if not (Path(args.kb) / "manifest.json").exists():
            ensure_demo_kb(Path(args.kb)).close()
        port = free_port()
        print(f"starting `assistant serve --kb {args.kb} --port {port}` …", file=sys.stderr)
        proc = start_server(args.kb, port)
        url, pid = f"http://127.0.0.1:{port}", proc.pid
    results, peaks, wall = [], [], 0.0
    try:
        with RssMonitor(pid) as rss, ThreadPoolExecutor(args.requests) as pool:
            for _ in range(max(1, args.rounds)):
                deadline, started = time.time() + args.deadline, time.perf_counter()
                futures = [pool.submit(ask, url, questions[i % len(questions)], deadline) for i in range(args.requests)]
                results += [f.result() for f in futures]
                wall += time.perf_counter() - started
                peaks.append(round(rss.peak_mb))
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(timeout=30)
    answered = [r for r in results if r["ok"]]
    latencies = [r["seconds"] for r in answered]
    generate = [r["generate_s"] for r in answered if r.get("generate_s")]
    figures = {"requests": len(results), "rounds": len(peaks), "answered": len(answered), "lost": len(results) - len(answered),
               "retried_503": sum(r["retries"] for r in results), "abstained": sum(r.get("abstained", 0) for r in answered),
               "wall_s": round(wall, 1), "throughput_per_min": round(60 * len(answered) / wall, 2),
               "p50_s": round(statistics.median(latencies), 1) if latencies else None,
               "p95_s": round(percentile(latencies, 0.95), 1) if latencies else None,
               "max_s": round(max(latencies), 1) if latencies else None,
               "mean_generate_s": round(statistics.mean(generate), 2) if generate else None,
               "rss_start_mb": round(rss.start_mb), "rss_peak_mb": round(rss.peak_mb), "rss_peak_by_round_mb": peaks,
               "errors": [r["error"] for r in results if not r["ok"]][:5]}
    print(f"{figures['answered']}/{len(results)} answered, {figures['lost']} lost, {figures['retried_503']} retried "
          f"after 503, {figures['abstained']} abstained, in {figures['wall_s']} s "
          f"({figures['throughput_per_min']} answers/min)")
    print(f"latency p50 {figures['p50_s']} s, p95 {figures['p95_s']} s, max {figures['max_s']} s; "
          f"generate {figures['mean_generate_s']} s an answer on the server")
    if pid:
        print(f"server RSS {figures['rss_start_mb']} MiB before, peak {figures['rss_peak_mb']} MiB under load "
              f"(peak after each round: {', '.join(map(str, peaks))} MiB)")
    for error in figures["errors"]:
        print(f"  error: {error}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if figures["lost"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
