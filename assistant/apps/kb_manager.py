"""Which knowledge bases the page offers: the one it was started with, and every KB directory under a
root folder (default: the served KB's parent). Each gets its own `Assistant` sharing the served one's
models, made on first use and kept, so switching KB costs an open, never a model load."""

from __future__ import annotations

import re
import threading
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.ingest.kb import MANIFEST, KnowledgeBase
from assistant.pipeline import Assistant

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")


class KBManager:
    def __init__(self, served: Assistant, root: str | Path | None = None) -> None:
        self.served = served
        self.default = str(served.kb.path.resolve())
        self.root = Path(root).expanduser().resolve() if root else served.kb.path.resolve().parent
        self._assistants: dict[str, Assistant] = {self.default: served}
        self._lock = threading.Lock()

    def choices(self) -> list[tuple[str, str]]:
        """(label, path) of the served KB, then each KB under the root, by name."""
        found = sorted(p.parent.resolve() for p in self.root.glob(f"*/{MANIFEST}")) if self.root.is_dir() else []
        out = [(f"{Path(self.default).name} (served)", self.default)]
        out += [(p.name, str(p)) for p in found if str(p) != self.default]
        return out

    def assistant(self, path: str | None) -> Assistant:
        """The assistant over KB `path` (one of `choices()`; None: the served one)."""
        path = str(Path(path).resolve()) if path else self.default
        with self._lock:
            if path in self._assistants:
                return self._assistants[path]
            if path not in {p for _, p in self.choices()}:
                raise AssistantError(f"knowledge base {path}: expected one served by this page (the default or a "
                                     f"KB directory under {self.root}), found neither; pick one from the list")
            kb = KnowledgeBase(path, self.served.settings, embedder=self.served.kb.embedder)
            kb.check_dimension()
            self._assistants[path] = assistant = self.served.for_kb(kb)
            return assistant

    def create(self, name: str) -> str:
        """A new, empty KB `root/name` (with the served KB's embedding model); its path."""
        name = (name or "").strip()
        if not _NAME.fullmatch(name):
            raise AssistantError(f"knowledge base name: expected 1-64 letters, digits, _ or - (starting with a "
                                 f"letter or digit), found {name!r}")
        path = self.root / name
        if path.exists():
            raise AssistantError(f"knowledge base {name!r}: {path} already exists; pick it from the list or choose "
                                 "another name")
        kb = KnowledgeBase(path, self.served.settings, create=True, embedder=self.served.kb.embedder)
        with self._lock:
            self._assistants[str(path.resolve())] = self.served.for_kb(kb)
        return str(path.resolve())
