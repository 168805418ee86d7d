"""Local causal-LM generator. The bundled SmolLM2 GGUF is dequantised once and cached as safetensors.
With `GeneratorConfig.fast` (the default) answers come from a decode loop that chooses each token itself
(repetition penalty, citation constraint, prompt lookup) over onnxruntime-genai (`runtime = "onnx"`,
generation/ortgen.py; the model is exported once and cached) or torch (generation/fastgen.py, the same
greedy text as `model.generate`, bit for bit); `stream()` yields the answer's text as it is produced.
Sampling (`sample`) and `fast = false` run torch's `generate`, loading the torch weights on first use."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Iterator, Sequence

from assistant.core.errors import ModelNotFoundError
from assistant.core.models import (
    cached_bundled_model,
    generator_path,
    quiet_transformers,
)
from assistant.core.settings import GeneratorConfig
from assistant.core.types import AUTO, BASE, Generator, Hit
from assistant.generation.prompting import build_messages, plain_prompt

log = logging.getLogger(__name__)


class TransformersGenerator(Generator):
    can_sample = True  # sample(): n seeded answers in one batched generate

    def __init__(self, config: GeneratorConfig | None = None) -> None:
        self.config = config or GeneratorConfig()
        self._model = None
        self._tokenizer = None
        self._decoder = None  # ortgen.OrtDecoder or fastgen.FastDecoder when config.fast
        self.last_timing = None  # Timing of the latest fast-path answer (time to first token, tokens/s)
        self._lock = threading.Lock()  # one generation at a time: torch already uses every core
        self._path = None  # the Hugging Face model directory, known after warm_up
        self.load_seconds = 0.0

    @property
    def name(self) -> str:
        return self.config.model + (f" + {self.config.adapter}" if self.config.adapter else "")

    def warm_up(self) -> None:
        if self._tokenizer is not None:
            return
        with self._lock:
            if self._tokenizer is None:
                self._load()

    def _load(self) -> None:
        from transformers import AutoTokenizer

        quiet_transformers()
        started = time.perf_counter()
        path = generator_path(self.config.model) or cached_bundled_model(self.config.cache_path())
        tokenizer = AutoTokenizer.from_pretrained(path)
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token
        self._path = path
        if self.config.fast and self.config.runtime == "onnx":
            self._decoder = self._onnx_decoder(path, tokenizer, self._adapter_dir() if self.config.adapter else None)
        if self._decoder is None:  # the torch paths (or an architecture the onnx builder cannot export)
            model = self._torch_model(path)
            if self.config.fast:
                self._decoder = self._fast_decoder(model, tokenizer)
                model = self._decoder.model
            self._model = model
        self._tokenizer = tokenizer
        self.load_seconds = time.perf_counter() - started

    def _torch_model(self, path):
        import torch
        from transformers import AutoModelForCausalLM

        if self.config.threads:
            torch.set_num_threads(self.config.threads)
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch.float32)
        if self.config.adapter:
            model = self._apply_adapter(model)
        return model.eval()

    def _torch(self):
        """The torch model; with the onnx runtime it is loaded only when asked for (sampling)."""
        if self._model is None:
            self._model = self._torch_model(self._path)
        return self._model

    def _adapter_dir(self):
        from assistant.generation.adapters.registry import AdapterRegistry, default_root

        return AdapterRegistry(default_root(self.config)).get(self.config.adapter).path

    def _onnx_decoder(self, path, tokenizer, adapter):
        """generation/ortgen.py's decoder on the exported model (+ the adapter directory), or None when
        onnxruntime-genai's builder cannot export this architecture (the torch fast path serves it, and the
        log says so)."""
        from assistant.generation.ortgen import OrtDecoder, built_model

        precision = {"none": "fp32", "int8": "int8", "int4": "int4"}[self.config.quantize]
        try:
            built = built_model(Path(path), self.config.cache_path(), adapter, precision)
        except RuntimeError as exc:
            if self.config.quantize == "int4":
                raise
            log.warning("%s; answering on the torch path instead", exc)
            return None
        eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
        # The kept state is always reused here: appending a prompt in pieces gives onnxruntime's exact
        # logits (tests/test_ortgen.py), unlike torch's prefix cache.
        return OrtDecoder(built, eos_token_ids=eos, threads=self.config.threads, prefix_cache=True,
                          lookahead=self.config.lookahead)

    def _apply_adapter(self, model):
        """`adapter` is a PEFT adapter directory or the name of one in the adapter registry."""
        from peft import PeftModel

        return PeftModel.from_pretrained(model, str(self._adapter_dir()))

    def _fast_decoder(self, model, tokenizer):
        from assistant.generation.fastgen import (
            FastDecoder,
            merge_adapter,
            quantize_int8,
        )

        if self.config.quantize == "int8":
            if hasattr(model, "peft_config"):  # int8 needs plain nn.Linear: fold the LoRA in first
                model = merge_adapter(model, copy_first=False)
            model = quantize_int8(model)
        eos = [tokenizer.eos_token_id] if tokenizer.eos_token_id is not None else []
        return FastDecoder(model, eos_token_ids=eos, prefix_cache=self.config.prefix_cache,
                           decode_threads=self.config.decode_threads, lookahead=self.config.lookahead)

    def _prompt(self, messages: list[dict[str, str]]):
        """Prompt ids, and the ids of the system block alone (a token prefix of the prompt, for the
        prefix cache: the decoder checks that they really are a prefix before reusing anything)."""
        tok = self._tokenizer
        if not tok.chat_template:
            return tok(plain_prompt(messages), return_tensors="pt"), ()
        inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt",
                                         return_dict=True)
        prefix = ()
        if self.config.prefix_cache and messages and messages[0]["role"] == "system" and len(messages) > 1:
            prefix = tuple(tok.apply_chat_template(messages[:1], return_dict=True)["input_ids"])
        return inputs, prefix

    def adapter_choices(self) -> list[str]:
        """Adapter names a request may pick (this generator has at most its one configured adapter)."""
        return []

    def resolve_adapter(self, requested: str | None, hits: Sequence[Hit]) -> str:
        """The adapter that will answer: the configured one (or BASE). A request cannot switch here:
        per-request choice needs `[generator] adapters`, which loads them together."""
        own = self.config.adapter if self.config.adapter not in (None, AUTO, BASE) else None
        if requested in (None, AUTO) or requested == own or (requested == BASE and own is None):
            return own or BASE
        raise ModelNotFoundError(
            f"adapter {requested!r}: expected {own or BASE!r}, the only one this generator loaded; to choose "
            "adapters per request, list them in [generator] adapters (or set adapter = \"auto\")")

    def generate(self, question: str, hits: Sequence[Hit], adapter: str | None = None) -> str:
        self.resolve_adapter(adapter, hits)
        return self.complete(build_messages(question, hits, self.config.max_source_chars), passages=len(hits))

    def generate_stream(self, question: str, hits: Sequence[Hit], adapter: str | None = None) -> Iterator[str]:
        """generate()'s text in pieces as they are produced (joined and stripped, the same text)."""
        self.resolve_adapter(adapter, hits)
        yield from self.stream(build_messages(question, hits, self.config.max_source_chars), passages=len(hits))

    def complete(self, messages: list[dict[str, str]], max_new_tokens: int | None = None, passages: int = 0) -> str:
        """The answer to a chat; `max_new_tokens` (capped by the config's) limits this request only.
        `passages` > 0: the prompt numbers that many sources, and (config.constrain_citations) every
        sentence of the answer ends with a marker [1..passages] (generation/constrain.py)."""
        import torch

        self.warm_up()
        tok = self._tokenizer
        inputs, prefix = self._prompt(messages)
        constraint = self._constraint(passages)
        if self._decoder is not None:
            with self._lock:
                ids = list(self._fast_ids(inputs, prefix, max_new_tokens, constraint))
            return tok.decode(ids, skip_special_tokens=True).strip()
        processors = [_Processor(constraint, inputs["input_ids"].shape[1])] if constraint else None
        with self._lock, torch.inference_mode():
            out = self._torch().generate(**inputs, max_new_tokens=self._limit(max_new_tokens), do_sample=False,
                                       repetition_penalty=self.config.repetition_penalty,
                                       pad_token_id=tok.pad_token_id, logits_processor=processors)
        new_tokens = out[0, inputs["input_ids"].shape[1]:]
        return tok.decode(new_tokens, skip_special_tokens=True).strip()

    def sample(self, messages: list[dict[str, str]], n: int, temperature: float = 0.7, seed: int = 0,
               max_new_tokens: int | None = None) -> list[str]:
        """n answers drawn at `temperature` (top-p 0.95) in one batched generate, for self-consistency;
        seeded, so the same request gives the same samples."""
        import torch

        if not (1 <= n <= 16 and 0.0 < temperature <= 2.0):
            raise ValueError(f"sample: expected 1 <= n <= 16 and 0 < temperature <= 2, found n={n}, "
                             f"temperature={temperature}")
        self.warm_up()
        tok = self._tokenizer
        inputs, _ = self._prompt(messages)
        with self._lock, torch.inference_mode():
            torch.manual_seed(seed)
            out = self._torch().generate(**inputs, max_new_tokens=self._limit(max_new_tokens), do_sample=True,
                                       temperature=temperature, top_p=0.95, num_return_sequences=n,
                                       repetition_penalty=self.config.repetition_penalty,
                                       pad_token_id=tok.pad_token_id)
        start = inputs["input_ids"].shape[1]
        return [tok.decode(row[start:], skip_special_tokens=True).strip() for row in out]

    def stream(self, messages: list[dict[str, str]], max_new_tokens: int | None = None,
               passages: int = 0) -> Iterator[str]:
        """Text pieces as the tokens are chosen; joined, they equal complete(messages). The generator
        holds the model lock until it is exhausted or closed. Without the fast path: one piece."""
        self.warm_up()
        if self._decoder is None:
            yield self.complete(messages, max_new_tokens, passages)
            return
        from assistant.generation.fastgen import TextStream

        inputs, prefix = self._prompt(messages)
        text = TextStream(lambda ids: self._tokenizer.decode(ids, skip_special_tokens=True))
        with self._lock:
            for token in self._fast_ids(inputs, prefix, max_new_tokens, self._constraint(passages)):
                piece = text.push(token)
                if piece:
                    yield piece
        tail = text.finish()
        if tail:
            yield tail

    def _limit(self, max_new_tokens: int | None) -> int:
        return min(max_new_tokens or self.config.max_new_tokens, self.config.max_new_tokens)

    def _constraint(self, passages: int):
        if not (self.config.constrain_citations and passages > 0):
            return None
        from assistant.generation.constrain import CitationConstraint

        eos = (self._tokenizer.eos_token_id,) if self._tokenizer.eos_token_id is not None else ()
        return CitationConstraint(self._tokenizer, passages, eos, refusals=self.config.refusals)

    def _fast_ids(self, inputs, prefix, max_new_tokens: int | None = None, constraint=None) -> Iterator[int]:
        yield from self._decoder.generate_ids(inputs["input_ids"], max_new_tokens=self._limit(max_new_tokens),
                                              repetition_penalty=self.config.repetition_penalty, prefix=prefix,
                                              constraint=constraint)
        self.last_timing = self._decoder.last


class _Processor:
    """The citation constraint as a transformers logits processor (the plain `generate` path)."""

    def __init__(self, constraint, prompt_length: int) -> None:
        self.constraint, self.prompt_length = constraint, prompt_length

    def __call__(self, input_ids, scores):
        return self.constraint.apply(scores, input_ids[0, self.prompt_length:].tolist())
