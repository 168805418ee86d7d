"""Dense-index speed: build time, single-query latency (k=10, no embedding), filtered latency, memory.

Synthetic L2-normalised 384-d vectors clustered around topics (see `corpus`) at 10k, 100k and 1M (`--max`
caps the sizes), for FAISS flat / HNSW / IVF and embedded Chroma, plus a Chroma server with
`--chroma-server start` (a `chroma run` started here) or `--chroma-server http://HOST:PORT`.
Each (size, backend) runs in its own worker process, so the memory figure — RSS growth from before the
build to after the searches (the server's own RSS for Chroma server) — is not muddied by the previous
run's freed-but-kept heap. Latency: p50/p95 over `--queries` single-vector searches (each measurement
stops early after `--budget-s`); filtered: an `allowed` set of a random 10% of the keys; recall@10 against
exact search over the first 20 queries. Builds too slow for 2 cores are skipped with the reason printed:
HNSW above `--hnsw-max` (default 200k: the 1M build alone took 4-10 minutes here), Chroma above
`--chroma-max` (default 100k: Chroma ingests ~500-1000 vectors/s here, so 1M would take half an hour or more).

    .venv/bin/python bench/retrieval_speed.py [--max 1000000] [--backends faiss-flat,faiss-hnsw,...]
        [--chroma-server start|URL] [--json results.json]
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's modules, not an installed copy

DIM = 384
K = 10
SIZES = (10_000, 100_000, 1_000_000)
BACKENDS = ("faiss-flat", "faiss-hnsw", "faiss-ivf", "chroma-embedded")
RECALL_QUERIES = 20


def rss_mb(pid: int | None = None) -> float:
    try:
        import psutil

        return psutil.Process(pid).memory_info().rss / 2**20
    except ImportError:
        with open(f"/proc/{pid or 'self'}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    return float("nan")


def unit_rows(n: int, seed: int) -> np.ndarray:
    rows = np.random.default_rng(seed).standard_normal((n, DIM), dtype=np.float32)
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    return rows


def corpus(n: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Vectors around topics, like passage embeddings (iid random vectors have no near neighbours at
    all, which makes every approximate index look worse than on real text): one topic per ~100 vectors,
    each vector its topic plus noise of equal norm (cosine ~0.5 within a topic, ~0 across); queries are
    stored vectors plus half that noise."""
    rng = np.random.default_rng(seed)
    topics = unit_rows(max(1, n // 100), seed + 1)
    rows = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):  # in slices, so 1M rows need no second 1.5 GB temporary
        stop = min(n, start + 100_000)
        noise = unit_rows(stop - start, seed + start + 2)
        rows[start:stop] = topics[rng.integers(0, len(topics), stop - start)] + noise
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    asked = rows[rng.integers(0, n, queries)] + 0.5 * unit_rows(queries, seed + 3)
    return rows, asked / np.linalg.norm(asked, axis=1, keepdims=True)


def latencies(index: Any, queries: np.ndarray, allowed: np.ndarray | None, budget_s: float) -> list[float]:
    index.search(queries[:1], K, allowed=allowed)  # first call builds lazy caches; not a steady-state figure
    times: list[float] = []
    spent = time.perf_counter()
    for row in queries:
        start = time.perf_counter()
        index.search(row[None, :], K, allowed=allowed)
        times.append((time.perf_counter() - start) * 1000)
        if time.perf_counter() - spent > budget_s and len(times) >= 20:
            break
    return times


def worker(args: argparse.Namespace) -> dict[str, Any]:
    from assistant.core.settings import IndexConfig
    from assistant.indexes import open_vector_index

    data = Path(args.data)
    vectors, queries = np.load(data / "vectors.npy"), np.load(data / "queries.npy")
    allowed = np.load(data / "allowed.npy")
    keys = np.arange(1, len(vectors) + 1, dtype=np.int64)
    if args.worker.startswith("faiss"):
        config = IndexConfig(backend="faiss", kind=args.worker.split("-")[1])
    else:
        config = IndexConfig(backend="chroma", chroma_url=args.chroma_url if args.worker == "chroma-server" else "")
    gc.collect()
    server_pid = (args.server_pid or None) if args.worker == "chroma-server" else None
    before = rss_mb(server_pid)
    start = time.perf_counter()
    index = open_vector_index(config, data / args.worker, DIM, "bench")
    index.upsert(keys, vectors)
    index.save()
    build_s = time.perf_counter() - start
    plain = latencies(index, queries, None, args.budget_s)
    filtered = latencies(index, queries, allowed, args.budget_s)
    exact = np.argsort(-(queries[:RECALL_QUERIES] @ vectors.T), axis=1)[:, :K] + 1
    found = index.search(queries[:RECALL_QUERIES], K)
    recall = np.mean([len({key for key, _ in row} & set(truth.tolist())) / K for row, truth in zip(found, exact)])
    known = server_pid or args.worker != "chroma-server"  # a server started elsewhere: its memory is unknown
    memory = rss_mb(server_pid) - before if known else None
    return {"backend": args.worker, "size": len(vectors), "kind": index.stats()["kind"], "build_s": round(build_s, 2),
            "p50_ms": round(float(np.percentile(plain, 50)), 2), "p95_ms": round(float(np.percentile(plain, 95)), 2),
            "filtered_p50_ms": round(float(np.percentile(filtered, 50)), 2), "queries": len(plain),
            "recall_at_10": round(float(recall), 3), "memory_mb": None if memory is None else round(memory, 1)}


def start_chroma_server(where: Path) -> tuple[str, subprocess.Popen]:
    import socket
    import urllib.request

    cli = shutil.which("chroma") or str(Path(sys.executable).parent / "chroma")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = open(where / "chroma-server.log", "wb")
    process = subprocess.Popen([cli, "run", "--path", str(where / "chroma-server"), "--host", "127.0.0.1",
                                "--port", str(port)], stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=1)
            return url, process
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"chroma run did not answer on {url}; see {where / 'chroma-server.log'}")


def skip_reason(backend: str, size: int, args: argparse.Namespace) -> str:
    if backend == "faiss-hnsw" and size > args.hnsw_max:
        return (f"an HNSW build over 1M 384-d vectors took 236-600 s on 2 cores (by other load), more than the "
                f"rest of the bench together; pass --hnsw-max {size} to run it")
    if backend.startswith("chroma") and size > args.chroma_max:
        return (f"Chroma ingests ~500-1000 384-d vectors/s on 2 cores (100k: 110-180 s measured), so {size:,} "
                f"would take far longer than the rest of the bench; pass --chroma-max {size} to run it")
    return ""


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    sizes = [s for s in SIZES if s <= args.max] or [args.max]
    if args.max not in sizes and args.max < SIZES[-1]:
        sizes.append(args.max)
    backends = args.backends.split(",") + (["chroma-server"] if args.chroma_server else [])
    results: list[dict[str, Any]] = []
    scratch = Path(tempfile.mkdtemp(prefix="retrieval-speed-"))
    server: subprocess.Popen | None = None
    url, server_pid = args.chroma_server, 0
    try:
        if args.chroma_server == "start":
            url, server = start_chroma_server(scratch)
            server_pid = server.pid
        for size in sorted(set(sizes)):
            data = scratch / str(size)
            data.mkdir()
            vectors, queries = corpus(size, args.queries, seed=size)
            np.save(data / "vectors.npy", vectors)
            np.save(data / "queries.npy", queries)
            rng = np.random.default_rng(8)
            np.save(data / "allowed.npy", np.sort(rng.choice(size, size // 10, replace=False) + 1).astype(np.int64))
            del vectors
            for backend in backends:
                reason = skip_reason(backend, size, args)
                if reason:
                    print(f"skip {backend} at {size:,}: {reason}", file=sys.stderr)
                    results.append({"backend": backend, "size": size, "skipped": reason})
                    continue
                command = [sys.executable, __file__, "--worker", backend, "--data", str(data), "--budget-s",
                           str(args.budget_s), "--chroma-url", url or "", "--server-pid", str(server_pid)]
                done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
                if done.returncode != 0:
                    raise SystemExit(f"{backend} at {size:,} failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
                result = json.loads(done.stdout.strip().splitlines()[-1])
                print(f"{backend:>16} {size:>9,}: build {result['build_s']} s, p50 {result['p50_ms']} ms",
                      file=sys.stderr)
                results.append(result)
                shutil.rmtree(data / backend, ignore_errors=True)
            shutil.rmtree(data, ignore_errors=True)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=20)
        shutil.rmtree(scratch, ignore_errors=True)
    return results


def table(results: list[dict[str, Any]]) -> str:
    head = f"{'backend':<16} {'vectors':>9} {'kind':<5} {'build s':>8} {'p50 ms':>7} {'p95 ms':>7} " \
           f"{'10% filter p50':>14} {'recall@10':>9} {'RSS MB':>7}"
    lines = [head, "-" * len(head)]
    for r in results:
        if "skipped" in r:
            lines.append(f"{r['backend']:<16} {r['size']:>9,} skipped (see reason in the JSON)")
            continue
        memory = "n/a" if r["memory_mb"] is None else f"{r['memory_mb']:.0f}"
        lines.append(f"{r['backend']:<16} {r['size']:>9,} {r['kind']:<5} {r['build_s']:>8.1f} {r['p50_ms']:>7.2f} "
                     f"{r['p95_ms']:>7.2f} {r['filtered_p50_ms']:>14.2f} {r['recall_at_10']:>9.3f} {memory:>7}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=int, default=1_000_000, help="largest collection size (default 1M)")
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--chroma-server", default="", help="'start' or the URL of a running Chroma server")
    parser.add_argument("--hnsw-max", type=int, default=200_000)
    parser.add_argument("--chroma-max", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--budget-s", type=float, default=15.0, help="time cap per latency measurement")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--chroma-url", default="", help=argparse.SUPPRESS)
    parser.add_argument("--server-pid", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args)))
        return
    unknown = set(args.backends.split(",")) - set(BACKENDS)
    if unknown:
        parser.error(f"--backends: expected some of {','.join(BACKENDS)}, found {','.join(sorted(unknown))}")
    started = time.perf_counter()
    results = run(args)
    print(table(results))
    report = {"dimension": DIM, "k": K, "cpus": os.cpu_count(), "load_avg_1m": os.getloadavg()[0],
              "seconds": round(time.perf_counter() - started, 1), "results": results}
    print(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
