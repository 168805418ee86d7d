"""Where trained adapters live (`<cache dir>/adapters/<name>` unless a directory is given), and the
operations on them: list, lookup by name, remove, and merge into a standalone model for deployment."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from assistant.core.errors import ModelNotFoundError
from assistant.core.settings import GeneratorConfig
from assistant.core.types import AUTO, BASE
from assistant.generation.adapters.train import METADATA

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


# Adapters that ship inside the package (trained by `assistant adapters train-grounded`, with a data
# card); `get` finds them by name after the user's own registry; `adapters remove` never touches them.
SHIPPED_ROOT = Path(__file__).resolve().parent / "shipped"


def default_root(config: GeneratorConfig | None = None) -> Path:
    return (config or GeneratorConfig()).cache_path() / "adapters"


def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ModelNotFoundError(f"adapter name: expected letters, digits, '.', '_' or '-' (max 64, no path "
                                 f"separators), found {name!r}")
    if name.lower() in (AUTO, BASE):
        raise ModelNotFoundError(f"adapter name: {name!r} is reserved (a request's '{AUTO}' picks by domain, "
                                 f"'{BASE}' the plain model); choose another name")
    return name


@dataclass(frozen=True)
class AdapterInfo:
    name: str
    path: Path
    meta: dict

    @property
    def domain(self) -> str:
        return self.meta.get("domain", "")

    def to_dict(self) -> dict:
        return {"name": self.name, "path": str(self.path), "domain": self.domain,
                "base_model": self.meta.get("base_model"), "created": self.meta.get("created"),
                "eval": self.meta.get("eval", {})}


class AdapterRegistry:
    def __init__(self, root: str | Path | None = None) -> None:
        self.root = Path(root).expanduser() if root else default_root()

    def path_for(self, name: str) -> Path:
        return self.root / check_name(name)

    def list(self) -> list[AdapterInfo]:
        """The user's trained adapters (the shipped ones are found by name, not listed: "auto" loads
        every listed adapter, and the grounded one already sits under the base model by default)."""
        return _adapters_in(self.root)

    def get(self, name_or_path: str) -> AdapterInfo:
        """By registry name, or an adapter directory given as a path."""
        candidate = Path(name_or_path).expanduser()
        if (candidate / "adapter_config.json").is_file():
            return self._info(candidate)
        for root in (self.root, SHIPPED_ROOT):
            if _NAME.match(name_or_path) and (root / name_or_path / "adapter_config.json").is_file():
                return self._info(root / name_or_path)
        known = ", ".join(a.name for a in self.list()) or "none"
        raise ModelNotFoundError(f"adapter {name_or_path!r}: expected a name under {self.root} (known: {known}) "
                                 "or a PEFT adapter directory with adapter_config.json; train one with "
                                 "`assistant adapters train`")

    def remove(self, name: str) -> Path:
        info = self.get(name)
        if info.path.parent.resolve() != self.root.resolve():
            raise ModelNotFoundError(f"adapter {name!r}: only adapters under {self.root} can be removed, found "
                                     f"{info.path}; delete that directory yourself")
        shutil.rmtree(info.path)
        return info.path

    def merge(self, name: str, out_dir: str | Path, cache_dir: str = "") -> Path:
        """The base model with the adapter folded into its weights (merge_and_unload), saved with the
        tokenizer: a plain HF model directory usable as generator.model, with no peft at run time."""
        from peft import PeftModel

        from assistant.generation.adapters.base import load_base

        info = self.get(name)
        out = Path(out_dir).expanduser()
        if out.exists() and any(out.iterdir()):
            raise ModelNotFoundError(f"merge output {out}: expected an empty or new directory, found files; "
                                     "pick another --out or remove it")
        tokenizer, base = load_base(info.meta.get("base_model") or GeneratorConfig().model, cache_dir)
        merged = PeftModel.from_pretrained(base, str(info.path)).merge_and_unload()
        merged.save_pretrained(out)
        tokenizer.save_pretrained(out)
        (out / "merged-from.json").write_text(json.dumps({"adapter": info.name, **info.to_dict()}, indent=2))
        return out

    @staticmethod
    def _info(path: Path) -> AdapterInfo:
        meta_file = path / METADATA
        meta = json.loads(meta_file.read_text()) if meta_file.is_file() else {}
        return AdapterInfo(meta.get("name") or path.name, path, meta)


def _adapters_in(root: Path) -> list[AdapterInfo]:
    if not root.is_dir():
        return []
    return [AdapterRegistry._info(p) for p in sorted(root.iterdir()) if (p / "adapter_config.json").is_file()]
