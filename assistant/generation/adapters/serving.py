"""Several LoRA adapters on one base model, loaded once and chosen per request.

`AdapterGenerator` is a TransformersGenerator: same prompt, same decoding (it calls the parent's
`complete`), so any pipeline that takes a generator takes this one. On torch, switching adapters is
`PeftModel.set_adapter` — a pointer change, no weights are reloaded between requests. On the onnx runtime
(the default) each adapter answers from its own exported model (generation/ortgen.py: the LoRA is in the
graph, unmerged), built and loaded the first time a request asks for it and then kept: ~545 MB per adapter
for the 135M model in fp32; the torch weights stay loaded for sampling."""

from __future__ import annotations

import threading
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, Mapping, Sequence

from assistant.core.errors import ModelNotFoundError
from assistant.core.settings import GeneratorConfig
from assistant.core.types import AUTO, BASE, Hit
from assistant.generation.adapters.base import base_path, load_base
from assistant.generation.generator import TransformersGenerator
from assistant.generation.prompting import build_messages


class AdapterGenerator(TransformersGenerator):
    """`adapters` maps a name to a PEFT adapter directory; `domains` maps a name to its domain (used by
    "auto"). `default` is what `generate` uses when a request names no adapter (None: the base model);
    `complete`/`stream` take a loaded name or None for the base model."""

    def __init__(self, adapters: Mapping[str, str | Path], config: GeneratorConfig | None = None,
                 domains: Mapping[str, str] | None = None, default: str | None = None) -> None:
        config = config or GeneratorConfig()
        if config.adapter:
            raise ModelNotFoundError("AdapterGenerator: expected adapters in its `adapters` mapping, found "
                                     f"generator.adapter={config.adapter!r} too; leave generator.adapter empty")
        super().__init__(config)
        self.adapters = {name: Path(path) for name, path in adapters.items()}
        for name, path in self.adapters.items():
            if not (path / "adapter_config.json").is_file():
                raise ModelNotFoundError(f"adapter {name!r}: expected a PEFT adapter directory with "
                                         f"adapter_config.json at {path}, found none; train it or fix the path")
        self.domains = dict(domains or {})
        if default not in (None, AUTO, BASE) and default not in self.adapters:
            raise ModelNotFoundError(f"default adapter {default!r}: expected one of the loaded adapters "
                                     f"{sorted(self.adapters)}, '{AUTO}' or '{BASE}'; add it to [generator] adapters")
        self.default_adapter = default
        self.base_loads = 0  # how many times base weights were read: stays 1 however many requests run
        # Held across set_adapter + generation: two requests for different adapters must not interleave.
        self._switch = threading.RLock()
        self._active: str | None = None
        self._variants: dict | None = None  # runtime "onnx": adapter name (None: base) -> its OrtDecoder

    @classmethod
    def from_registry(cls, registry, names: Sequence[str] | None = None,
                      config: GeneratorConfig | None = None) -> "AdapterGenerator":
        """Adapters by registry name (default: all), each with the domain its metadata records."""
        infos = [registry.get(n) for n in names] if names is not None else registry.list()
        return cls({i.name: i.path for i in infos}, config, domains={i.name: i.domain for i in infos})

    @classmethod
    def from_config(cls, config: GeneratorConfig) -> "AdapterGenerator":
        """`[generator] adapters` (default: every registered one) onto one base; `adapter` the default."""
        from dataclasses import replace

        from assistant.generation.adapters.registry import AdapterRegistry, default_root

        registry = AdapterRegistry(default_root(config))
        infos = [registry.get(n) for n in config.adapters] if config.adapters else registry.list()
        if not infos:
            raise ModelNotFoundError(f"[generator] adapter = \"auto\": expected at least one registered adapter "
                                     f"under {registry.root}, found none; train one with `assistant adapters "
                                     "train` or list adapter directories in [generator] adapters")
        default = config.adapter
        if default not in (None, AUTO, BASE):
            default = registry.get(default).name  # a directory given as the default → its name
        return cls({i.name: i.path for i in infos}, replace(config, adapter=None, adapters=()),
                   domains={i.name: i.domain for i in infos}, default=default)

    @property
    def name(self) -> str:
        return self.config.model + (f" + adapters {sorted(self.adapters)}" if self.adapters else "")

    def _load(self) -> None:
        import time

        from peft import PeftModel

        started = time.perf_counter()
        if self.config.threads:
            import torch

            torch.set_num_threads(self.config.threads)
        tokenizer, model = load_base(self.config.model, self.config.cache_dir)
        self.base_loads += 1
        names = list(self.adapters)
        if names:
            model = PeftModel.from_pretrained(model, str(self.adapters[names[0]]), adapter_name=names[0])
            for name in names[1:]:
                model.load_adapter(str(self.adapters[name]), adapter_name=name)
        model.eval()
        self._path = base_path(self.config.model, self.config.cache_dir)
        if self.config.fast and self.config.runtime == "onnx":
            # One exported variant per adapter, built and loaded when first asked for (~545 MB each in fp32
            # for the 135M model); None when the builder cannot export this architecture: torch serves it.
            self._variants = {}
            self._decoder = self._variant(None, tokenizer)
            if self._decoder is None:
                self._variants = None
        if self.config.fast and self._decoder is None:
            if self.config.quantize != "none" and names:
                raise ModelNotFoundError(
                    f"AdapterGenerator: quantize = {self.config.quantize!r} needs each adapter merged into its own "
                    "copy of the weights; expected quantize = \"none\" here (adapters stay switchable), or "
                    "`assistant adapters merge` and point generator.model at the merged directory")
            # The fast loop calls the model's own layers, LoRA wrappers included, so set_adapter and
            # disable_adapter act on it exactly as on generate.
            self._decoder = self._fast_decoder(model, tokenizer)
        self._tokenizer, self._model = tokenizer, model
        self.load_seconds = time.perf_counter() - started

    @property
    def model(self):
        self.warm_up()
        return self._model

    def pick(self, hits: Sequence[Hit]) -> str | None:
        """The adapter whose domain the top hits share most (rank-weighted); None when no adapter's domain
        appears among them — the base model is then the honest choice."""
        votes: Counter[str] = Counter()
        for rank, hit in enumerate(hits):
            if hit.chunk.domain:
                votes[hit.chunk.domain.lower()] += 1.0 / (rank + 1)
        for domain, _ in votes.most_common():
            for name, adapter_domain in self.domains.items():
                if adapter_domain and adapter_domain.lower() == domain and name in self.adapters:
                    return name
        return None

    def adapter_choices(self) -> list[str]:
        return sorted(self.adapters)

    def resolve_adapter(self, requested: str | None, hits: Sequence[Hit]) -> str:
        """The adapter name that will answer, or BASE: the request's choice, else the default; AUTO
        resolves by the domain of the hits."""
        choice = self.default_adapter if requested is None else requested
        if choice == AUTO:
            choice = self.pick(hits)
        if choice in (None, BASE):
            return BASE
        self._check(choice)
        return choice

    def generate(self, question: str, hits: Sequence[Hit], adapter: str | None = None) -> str:
        chosen = self.resolve_adapter(adapter, hits)
        return self.complete(build_messages(question, hits, self.config.max_source_chars),
                             adapter=None if chosen == BASE else chosen, passages=len(hits))

    def generate_stream(self, question: str, hits: Sequence[Hit], adapter: str | None = None) -> Iterator[str]:
        chosen = self.resolve_adapter(adapter, hits)
        yield from self.stream(build_messages(question, hits, self.config.max_source_chars),
                               adapter=None if chosen == BASE else chosen, passages=len(hits))

    def complete(self, messages: list[dict[str, str]], adapter: str | None = None,
                 max_new_tokens: int | None = None, passages: int = 0) -> str:
        with self._using(adapter):
            return TransformersGenerator.complete(self, messages, max_new_tokens, passages)

    def sample(self, messages: list[dict[str, str]], n: int, temperature: float = 0.7, seed: int = 0,
               max_new_tokens: int | None = None, adapter: str | None = None) -> list[str]:
        with self._using(adapter):
            return TransformersGenerator.sample(self, messages, n, temperature, seed, max_new_tokens)

    def stream(self, messages: list[dict[str, str]], adapter: str | None = None,
               max_new_tokens: int | None = None, passages: int = 0) -> Iterator[str]:
        """Text pieces from `adapter` (None: the base model); the adapter stays selected until the
        stream is exhausted or closed, so a concurrent request for another one waits."""
        self.warm_up()
        if self._decoder is None:  # plain generate: one piece
            yield self.complete(messages, adapter, max_new_tokens, passages)
            return
        with self._using(adapter):
            yield from TransformersGenerator.stream(self, messages, max_new_tokens, passages)

    def _check(self, adapter: str | None) -> None:
        if adapter is not None and adapter not in self.adapters:
            raise ModelNotFoundError(f"adapter {adapter!r}: expected one of {sorted(self.adapters)} (loaded at "
                                     "start), found no such name; add it to the generator's adapters")

    @contextmanager
    def _using(self, adapter: str | None):
        """`adapter` (None: the base model) loaded, checked and selected, exclusively, for one request."""
        self.warm_up()
        self._check(adapter)
        with self._switch, self._selected(adapter):
            yield

    def _variant(self, adapter: str | None, tokenizer):
        if adapter not in self._variants:
            self._variants[adapter] = self._onnx_decoder(self._path, tokenizer, self.adapters.get(adapter))
        return self._variants[adapter]

    @contextmanager
    def _selected(self, adapter: str | None):
        if self._variants is not None:  # onnx: each adapter has its own exported model and kept state
            self._decoder = self._variant(adapter, self._tokenizer)
        elif self._decoder is not None and adapter != self._active:
            self._decoder.forget_prefixes()  # cached system-block keys/values depend on the adapter
        self._active = adapter
        if adapter is None:
            if not self.adapters:
                yield
                return
            with self._model.disable_adapter():
                yield
            return
        self._model.set_adapter(adapter)
        yield
