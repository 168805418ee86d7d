"""A faster greedy decoding loop for Hugging Face causal LMs on CPU.

Why not `model.generate`: for a 135M model one decode step is ~60 small matmuls, and generate adds per-step
work that is large by comparison: a growing DynamicCache (torch.cat of every layer's keys and values each
step), causal-mask construction, logits-processor and stopping-criteria plumbing. `FastDecoder` keeps the
same arithmetic and removes the rest:

* prefill is the model's own forward (exactly what generate runs), then keys/values move into buffers
  preallocated for the whole answer, so a decode step writes one row instead of copying the cache;
* for Llama-family models the decode step calls the model's own submodules (norms, projections, MLP) in
  HF's order, with no mask (one query attends to every cached key, which is what HF does too), so the
  logits match generate's bit for bit; other architectures fall back to the model's forward with a cache;
* the repetition penalty is HF's RepetitionPenaltyLogitsProcessor arithmetic over prompt + answer ids;
* the fixed system block's keys/values can be computed once and reused (`prefix_ids`); this changes the
  prefill's matmul shapes, so it is exact up to float rounding, and stays off unless asked for;
* decode steps run on `decode_threads` torch threads (default 1): a step is ~200 small matrix-vector
  products, and on 2 shared cores the per-op thread hand-off cost more than the second core gave
  (60 vs 260 ms/token measured while other jobs ran); prefill keeps the process's thread count;
* prompt lookup (`lookahead` > 0): a grounded answer mostly copies runs of tokens from its sources, so
  the tokens that followed the latest n-gram's earlier occurrence in prompt + answer are proposed as a
  draft and checked in ONE forward over [last token, draft…] (a decode step is bound by reading the
  weights, so checking 8 tokens costs little more than generating 1). Every draft token is kept only
  while it equals the greedy choice (penalty included), so the text is greedy decoding's; the block's
  matmul shapes differ from one-token steps, so logits may differ in the last float bits;
* optional int8 (`quantize_int8`): dynamic int8 nn.Linear; ~4× less weight traffic per token, which is
  what bounds decode speed on a small CPU, but it changes the numbers and therefore sometimes the text.

Adapters: a PeftModel runs unmerged in fp32 (exact). int8 needs the LoRA merged first (`merge_adapter`).
"""

from __future__ import annotations

import copy
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import torch
import torch.nn.functional as F

LLAMA_LIKE = ("llama", "mistral")  # same decoder layer: pre-norm attention + SwiGLU MLP, RoPE, no biases


@dataclass
class Timing:
    prompt_tokens: int = 0
    new_tokens: int = 0
    first_token_s: float = 0.0  # prompt in → first new token chosen (prefill + one argmax)
    total_s: float = 0.0
    reused_prefix_tokens: int = 0
    steps: int = 0  # decode forwards after the prefill (fewer than new_tokens when drafts are accepted)
    drafted: int = 0
    accepted: int = 0

    @property
    def tokens_per_s(self) -> float:
        return self.new_tokens / self.total_s if self.total_s else 0.0

    def emitted(self, count: int, started: float) -> None:
        """The count-th new token was just chosen (time since `started`, a perf_counter reading)."""
        elapsed = time.perf_counter() - started
        if count == 1:
            self.first_token_s = elapsed
        self.new_tokens, self.total_s = count, elapsed


def base_of(model):
    """The transformers model under a PeftModel (LoRA layers stay wrapped in place), or the model itself."""
    get = getattr(model, "get_base_model", None)
    return get() if callable(get) else model


def merge_adapter(model, *, copy_first: bool = True):
    """A plain transformers model with the PeftModel's LoRA folded into its weights.

    copy_first keeps the caller's PeftModel usable (the merge rewrites weights in place). Merging changes
    rounding slightly (x·(W+BA) vs x·W + x·A·B), so use it where it is needed: before int8 quantisation."""
    if not hasattr(model, "merge_and_unload"):
        raise TypeError(f"merge_adapter: expected a peft PeftModel, found {type(model).__name__}; "
                        "pass the model returned by PeftModel.from_pretrained")
    return (copy.deepcopy(model) if copy_first else model).merge_and_unload()


def load_merged(base_model, adapter_dir: str | Path):
    """A merged copy of `base_model` + the LoRA adapter in `adapter_dir`; `base_model` is left unchanged."""
    from peft import PeftModel

    adapter = Path(adapter_dir).expanduser()
    if not (adapter / "adapter_config.json").is_file():
        raise FileNotFoundError(f"adapter {adapter}: expected a PEFT adapter directory with "
                                "adapter_config.json, found none")
    return PeftModel.from_pretrained(copy.deepcopy(base_model), str(adapter)).merge_and_unload()


class MergedModels:
    """Merged (optionally int8) copies of one base model, one per adapter directory, built on first use
    and kept (least recently used dropped past `limit`), so switching adapters between requests reloads
    nothing. Each entry costs one copy of the weights (~540 MB fp32 / ~170 MB int8 for the 135M model)."""

    def __init__(self, base_model, *, quantize: str = "none", limit: int = 4) -> None:
        if quantize not in ("none", "int8"):
            raise ValueError(f"MergedModels: quantize expected 'none' or 'int8', found {quantize!r}")
        self.base, self.quantize, self.limit = base_model, quantize, max(1, limit)
        self._models: dict[str, object] = {}

    def get(self, adapter_dir: str | Path | None):
        key = str(Path(adapter_dir).expanduser().resolve()) if adapter_dir else ""
        model = self._models.pop(key, None)
        if model is None:
            model = load_merged(self.base, adapter_dir) if adapter_dir else self.base
            model = quantize_int8(model) if self.quantize == "int8" else model.eval()
        self._models[key] = model  # re-inserted last: dict order is the recency order
        while len(self._models) > self.limit:
            self._models.pop(next(iter(self._models)))
        return model


def quantize_int8(model):
    """Dynamic int8 weights for every nn.Linear, one scale per output channel (per-tensor scales changed
    the bundled model's answers far more often); activations are quantised per call. Changes numerics."""
    if hasattr(model, "peft_config"):
        raise ValueError("quantize_int8: expected a plain transformers model, found a PeftModel; merge the "
                         "adapter first with merge_adapter(model)")
    import warnings

    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao's "migrate to torchao" notice; torchao is not a dependency
        warnings.simplefilter("ignore")
        return quantize_dynamic(model, {torch.nn.Linear: per_channel_dynamic_qconfig}, inplace=False)


def apply_repetition_penalty(logits: torch.Tensor, seen: torch.Tensor, penalty: float) -> torch.Tensor:
    """HF RepetitionPenaltyLogitsProcessor: every id seen so far (prompt included) gets its logit divided
    by `penalty` when positive and multiplied when negative. `seen` is (1, n) ids, duplicates allowed."""
    if penalty == 1.0:
        return logits
    score = torch.gather(logits, 1, seen)
    score = torch.where(score < 0, score * penalty, score / penalty)
    return logits.scatter(1, seen, score)


class FastDecoder:
    """Greedy decoding with preallocated KV buffers. One generation at a time (the caller locks)."""

    def __init__(self, model, *, eos_token_ids: Sequence[int] = (), prefix_cache: bool = False,
                 decode_threads: int = 1, lookahead: int = 0, min_ngram: int = 2) -> None:
        self.model = model.eval()
        self.hf = base_of(model)  # the *ForCausalLM whose submodules the lean step calls
        config = self.hf.config
        self.lean = (getattr(config, "model_type", "") in LLAMA_LIKE and hasattr(self.hf, "model")
                     and hasattr(self.hf.model, "layers") and not getattr(config, "sliding_window", None))
        self.head_dim = getattr(config, "head_dim", None) or config.hidden_size // config.num_attention_heads
        gen_eos = getattr(getattr(self.hf, "generation_config", None), "eos_token_id", None)
        eos = set(eos_token_ids) | set([gen_eos] if isinstance(gen_eos, int) else (gen_eos or []))
        self.eos = eos
        self.prefix_cache = prefix_cache
        self.decode_threads = decode_threads  # 0: leave torch's setting alone
        if lookahead < 0 or min_ngram < 1:
            raise ValueError(f"FastDecoder: expected lookahead >= 0 and min_ngram >= 1, found {lookahead}, {min_ngram}")
        self.lookahead = lookahead if self.lean else 0  # drafts need the lean step's KV buffers
        self.min_ngram = min_ngram
        self._prefixes: dict[tuple[int, ...], list[tuple[torch.Tensor, torch.Tensor]]] = {}
        self.last = Timing()

    def forget_prefixes(self) -> None:
        """Drops the cached system-block keys/values (they were computed with the current weights)."""
        self._prefixes.clear()

    # -- prefill -------------------------------------------------------------------------------------------
    def _prefill(self, ids: torch.Tensor, prefix: tuple[int, ...]):
        """Logits for the last prompt token and the prompt's per-layer (keys, values)."""
        from transformers import DynamicCache

        cache = DynamicCache(config=self.hf.config)
        start = 0
        usable = self.prefix_cache and 0 < len(prefix) < ids.shape[1]
        if usable and tuple(ids[0, :len(prefix)].tolist()) == prefix:  # token-identical, not just text
            kv = self._prefixes.get(prefix)
            if kv is None:
                self.model(input_ids=ids[:, :len(prefix)], cache=cache, use_cache=True)
                kv = [(layer.keys.clone(), layer.values.clone()) for layer in cache.layers]
                self._prefixes = {prefix: kv}  # one system prompt in practice; keep only the latest
                cache = DynamicCache(config=self.hf.config)
            for i, (k, v) in enumerate(kv):
                cache.update(k.clone(), v.clone(), i)
            start = len(prefix)
        n = ids.shape[1]
        positions = torch.arange(start, n)
        out = self.model(input_ids=ids[:, start:], cache=cache, use_cache=True, logits_to_keep=1,
                         cache_position=positions, position_ids=positions[None],
                         attention_mask=torch.ones(1, n, dtype=torch.long) if start else None)
        self.last.reused_prefix_tokens = start
        return out.logits[:, -1, :].to(torch.float32), cache

    # -- one decode step ---------------------------------------------------------------------------------
    def _lean_step(self, tokens: torch.Tensor, pos: int, keys: list, values: list) -> torch.Tensor:
        """LlamaModel.forward for T new tokens at positions pos..pos+T-1, without mask/cache machinery;
        same ops, same order; logits (T, vocab). One token attends to every cached key, as in HF, so it
        needs no mask; a draft block gets a causal one over its own tokens."""
        core, hd = self.hf.model, self.head_dim
        t = tokens.shape[1]
        h = core.embed_tokens(tokens)
        cos, sin = core.rotary_emb(h, torch.arange(pos, pos + t)[None])
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)
        mask = torch.arange(pos + t)[None, :] <= torch.arange(pos, pos + t)[:, None] if t > 1 else None
        for i, layer in enumerate(core.layers):
            attn = layer.self_attn
            x = layer.input_layernorm(h)
            q = attn.q_proj(x).view(1, t, -1, hd).transpose(1, 2)
            k = attn.k_proj(x).view(1, t, -1, hd).transpose(1, 2)
            v = attn.v_proj(x).view(1, t, -1, hd).transpose(1, 2)
            q = q * cos + _rotate_half(q) * sin
            k = k * cos + _rotate_half(k) * sin
            keys[i][:, :, pos:pos + t] = k
            values[i][:, :, pos:pos + t] = v
            o = F.scaled_dot_product_attention(q, keys[i][:, :, :pos + t], values[i][:, :, :pos + t],
                                               attn_mask=mask, scale=attn.scaling,
                                               enable_gqa=q.shape[1] != k.shape[1])
            o = o.transpose(1, 2).reshape(1, t, -1)
            h = h + attn.o_proj(o)
            h = h + layer.mlp(layer.post_attention_layernorm(h))
        return self.hf.lm_head(core.norm(h))[0].to(torch.float32)

    # -- the loop ------------------------------------------------------------------------------------------
    def generate_ids(self, input_ids: torch.Tensor, *, max_new_tokens: int, repetition_penalty: float = 1.0,
                     prefix: tuple[int, ...] = (), constraint=None) -> Iterator[int]:
        """Yield greedy token ids one at a time (the eos id included, then stop), as HF generate picks them.
        `constraint` (constrain.CitationConstraint) masks each step's scores after the penalty, as a logits
        processor would in generate; a draft token is still kept only while it equals that choice."""
        if input_ids.dim() != 2 or input_ids.shape[0] != 1:
            raise ValueError(f"generate_ids: expected input_ids of shape (1, n), found {tuple(input_ids.shape)}")
        started = time.perf_counter()
        self.last = Timing(prompt_tokens=input_ids.shape[1])
        # inference_mode is entered per step, never held across a yield: the caller's code runs between
        # tokens and must not find itself in inference mode.
        with torch.inference_mode():
            logits, cache = self._prefill(input_ids, prefix)
            keys, values = self._buffers(cache, input_ids.shape[1] + max_new_tokens) if self.lean else (None, None)
        ids = input_ids[0].tolist()

        def forward(drafted: list[int]) -> torch.Tensor:
            with torch.inference_mode(), _threads(self.decode_threads):
                pos = len(ids) - 1  # the last id's keys/values are not computed yet
                if self.lean:  # drafts exist only on the lean path
                    return self._lean_step(torch.tensor([[ids[-1], *drafted]]), pos, keys, values)
                p = torch.tensor([pos])
                out = self.model(input_ids=torch.tensor([[ids[-1]]]), cache=cache, use_cache=True,
                                 cache_position=p, position_ids=p[None], logits_to_keep=1)
                return out.logits[:, -1, :].to(torch.float32)

        yield from greedy_loop(logits, ids, forward, max_new_tokens=max_new_tokens, repetition_penalty=repetition_penalty,
                               constraint=constraint, eos=self.eos, lookahead=self.lookahead, min_ngram=self.min_ngram,
                               timing=self.last, started=started)

    @staticmethod
    def _buffers(cache, total: int):
        keys, values = [], []
        for layer in cache.layers:
            k, v = layer.keys, layer.values
            kb = k.new_empty(k.shape[0], k.shape[1], total, k.shape[3])
            vb = v.new_empty(v.shape[0], v.shape[1], total, v.shape[3])
            kb[:, :, :k.shape[2]] = k
            vb[:, :, :v.shape[2]] = v
            keys.append(kb)
            values.append(vb)
        return keys, values


def greedy_loop(rows: torch.Tensor, ids: list[int], forward: Callable[[list[int]], torch.Tensor], *,
                max_new_tokens: int, repetition_penalty: float, constraint, eos: set[int], lookahead: int,
                min_ngram: int, timing: Timing, started: float) -> Iterator[int]:
    """The decode loop both decoders (FastDecoder, ortgen.OrtDecoder) run over their own forwards. Each
    row of `rows` (float32, (rows, vocab)) predicts the token after ids[-1], then after each drafted
    token; its token is HF's repetition penalty over prompt + answer, then the citation `constraint`, then
    argmax — what a logits processor does in `generate`. A drafted token is kept only while it equals that
    choice, so the text is greedy decoding's. `forward(drafted)` returns the rows for [ids[-1], *drafted].
    `ids` (the prompt's, then the answer's) grows in place; yields each new id, the eos id included, then
    stops. inference_mode is entered per step, never held across a yield: the caller's code runs between
    tokens and must not find itself in inference mode."""
    n = len(ids)
    with torch.inference_mode():
        seen = torch.empty(1, n + max_new_tokens, dtype=torch.long)
        seen[0, :n] = torch.tensor(ids)
    drafted: list[int] = []
    while True:
        for j in range(rows.shape[0]):
            with torch.inference_mode():
                row = apply_repetition_penalty(rows[j:j + 1], seen[:, :len(ids)], repetition_penalty)
                if constraint is not None:
                    row = constraint.apply(row, ids[n:])
                token = int(row.argmax(-1))
                seen[0, len(ids)] = token
            ids.append(token)
            emitted = len(ids) - n
            timing.emitted(emitted, started)
            yield token
            if token in eos or emitted == max_new_tokens:
                timing.total_s = time.perf_counter() - started
                return
            if j >= len(drafted) or token != drafted[j]:
                break  # the draft diverged (or ran out): later rows predicted from tokens not taken
            timing.accepted += 1
        room = max_new_tokens - (len(ids) - n) - 1  # the block also yields one token past the draft
        drafted = prompt_lookup(ids, lookahead, min_ngram)[:room] if lookahead else []
        timing.drafted += len(drafted)
        timing.steps += 1
        rows = forward(drafted)


def prompt_lookup(ids: Sequence[int], lookahead: int, min_ngram: int = 2) -> list[int]:
    """The ids that followed the most recent earlier occurrence of the last n ids (n from min_ngram + 1
    down to min_ngram: a longer match predicts better), up to `lookahead` of them; [] when none matches."""
    ids = list(ids)
    for n in range(min_ngram + 1, min_ngram - 1, -1):
        if len(ids) <= n:
            continue
        tail = ids[-n:]
        for start in range(len(ids) - n - 1, -1, -1):
            if ids[start:start + n] == tail:
                return ids[start + n:start + n + lookahead]
    return []


@contextmanager
def _threads(n: int):
    """torch's intra-op thread count set to n for one step, then restored (it is process-wide, and the
    caller's code runs between steps)."""
    before = torch.get_num_threads()
    if not n or n == before:
        yield
        return
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


@dataclass
class TextStream:
    """Turns token ids into text pieces whose concatenation equals `decode(ids, skip_special).strip()`.

    Pieces are emitted as soon as they are final: an incomplete UTF-8 sequence (shown as U+FFFD) and
    trailing whitespace are held back until a later token settles them."""

    decode: Callable[[list[int]], str]
    ids: list[int] = field(default_factory=list)
    sent: int = 0  # characters of the stripped text already emitted

    def push(self, token: int) -> str:
        self.ids.append(token)
        text = self.decode(self.ids).lstrip()
        settled = text.rstrip()
        if settled.endswith("\ufffd"):
            return ""
        piece, self.sent = settled[self.sent:], max(self.sent, len(settled))
        return piece

    def finish(self) -> str:
        text = self.decode(self.ids).strip()
        piece, self.sent = text[self.sent:], len(text)
        return piece
