"""Resumable runs: each question's result is appended to a JSONL file in the output folder as soon as it
is computed, keyed by question id and a hash of everything that shapes the result (configuration,
knowledge base, k, the question itself). A rerun after an interruption computes only what is missing;
a changed configuration gets a new hash, so stale results are never reused."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Callable, Sequence

from tqdm import tqdm

from assistant.eval.items import EvalItem


def config_hash(config: dict) -> str:
    return hashlib.sha256(json.dumps(config, sort_keys=True, default=str).encode()).hexdigest()[:16]


class ResultCache:
    def __init__(self, path: str | Path, config: dict) -> None:
        self.path = Path(path)
        self.key = config_hash(config)
        self.records: dict[str, dict] = {}
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8").splitlines():
                try:
                    record = json.loads(line)
                except json.JSONDecodeError:
                    continue  # the line an interruption cut short: recomputed below
                if record.get("config") == self.key:
                    self.records[record["id"]] = record

    def add(self, record: dict) -> None:
        record = {**record, "config": self.key}
        self.records[record["id"]] = record
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


def item_key(item: EvalItem) -> str:
    """The question with its gold labels: an edited question file invalidates only the edited lines."""
    return config_hash(item.__dict__)


def run_cached(items: Sequence[EvalItem], cache: ResultCache, compute: Callable[[list[EvalItem]], list[dict]],
               desc: str, batch: int = 1) -> list[dict]:
    """Per-question records in item order; `compute` gets the missing items `batch` at a time and
    returns one record (with "id") each."""
    keyed = {item.id: item_key(item) for item in items}
    todo = [item for item in items if cache.records.get(item.id, {}).get("item") != keyed[item.id]]
    with tqdm(total=len(items), initial=len(items) - len(todo), desc=desc, unit="q", dynamic_ncols=True) as bar:
        for start in range(0, len(todo), batch):
            part = todo[start:start + batch]
            for record in compute(part):
                cache.add({**record, "item": keyed[record["id"]]})
            bar.update(len(part))
    return [cache.records[item.id] for item in items]
