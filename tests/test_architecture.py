"""The house plan holds: no import cycle between modules, and stages depend one way only (core at the
bottom, apps and the CLI on top), read from the source with `ast` (nothing is imported)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "assistant"
# Each stage may import the stages listed before it (and itself), never one after it.
LAYERS = ["core", "connectors", "indexes", "embedding", "ingest", "retrieval", "generation", "reliability",
          "pipeline", "followup", "demo", "eval", "apps", "cli"]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Project modules `path` imports, at any depth (a lazy import inside a function counts too)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("assistant")}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").startswith("assistant"):
            found.add(node.module)
            found |= {f"{node.module}.{a.name}" for a in node.names}
    return found


def graph() -> dict[str, set[str]]:
    modules = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {name: {m for m in _imports(path) if m in modules and m != name} for name, path in modules.items()}


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in list(edges):
        if v not in index:
            visit(v)
    return out


def _stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in LAYERS else None


def test_no_import_cycle_between_modules():
    # A package's __init__ re-exporting its own modules is not a cycle of the design.
    edges = {m: {d for d in deps if not (m.endswith(d.rsplit(".", 1)[0]) and d.startswith(m + "."))}
             for m, deps in graph().items()}
    edges = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in edges.items()}
    assert _cycles(edges) == []


def test_stages_depend_one_way():
    wrong = []
    for module, deps in graph().items():
        stage = _stage(module)
        for dep in deps:
            target = _stage(dep)
            if stage and target and LAYERS.index(target) > LAYERS.index(stage):
                wrong.append(f"{module} → {dep}")
    assert wrong == [], "a lower stage imports a higher one:\n" + "\n".join(sorted(wrong))


def _readme_paths(text: str) -> set[str]:
    """Repository paths the README names in backticks (`assistant/ingest/kb.py`, `bench/verify.py`)."""
    found = set()
    for token in re.findall(r"`([^`\s]+)`", text):
        token = token.rstrip(".,:;)")
        if re.match(r"(assistant|bench|tests|docs|\.ci)/[\w./-]*$", token) and "*" not in token:
            found.add(token)
    return found


def test_every_path_the_readme_names_exists():
    for doc in ("README.md", "docs/architecture.md"):
        missing = sorted(p for p in _readme_paths((ROOT / doc).read_text(encoding="utf-8")) if not (ROOT / p).exists())
        assert missing == [], f"{doc} names paths that do not exist: {missing}"
