"""LoRA training with peft on CPU: the generator's exact prompt, loss on the answer tokens only,
checkpoints with resume, a held-out split scored at the end, standard PEFT output plus metadata."""

from __future__ import annotations

import json
import math
import random
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from assistant.core.errors import AssistantError
from assistant.core.settings import BUNDLED_GENERATOR
from assistant.generation.adapters.base import load_base, prompt_ids, prompt_messages
from assistant.generation.adapters.data import Example, data_hash

METADATA = "adapter_meta.json"
CHECKPOINT = "checkpoint"


class TrainingError(AssistantError):
    pass


@dataclass
class TrainConfig:
    base: str = BUNDLED_GENERATOR
    rank: int = 8  # 8-16 is plenty for a format/domain adapter on a 135M model; more only slows CPU steps
    alpha: int = 16
    dropout: float = 0.05
    # Attention projections adapt what the model attends to (the cited source); MLP adds capacity for
    # domain vocabulary at ~2x the adapter size.
    targets: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    # LoRA on the top N decoder layers only (0 = all): backward then stops at the lowest adapted layer,
    # which roughly halves a CPU step while still teaching the answer format and citing.
    top_layers: int = 0
    max_length: int = 768  # tokens of prompt + answer; longer examples are skipped, not cut mid-source
    max_source_chars: int = 600  # the generator's default, so training prompts match serving prompts
    epochs: float = 1.0
    lr: float = 2e-4
    grad_accum: int = 4  # batch 1 + accumulation: no padding waste on CPU
    warmup: float = 0.05
    held_out: float = 0.1
    max_held_out: int = 100  # scoring the held-out split costs a forward pass per example
    save_every: int = 50  # optimizer steps between checkpoints
    max_steps: int = 0  # 0 = run the epochs; > 0 stops early (tests, smoke runs)
    seed: int = 0
    init_from: str = ""  # an adapter directory (same rank/targets) to continue training from
    threads: int = 0
    cache_dir: str = ""
    domain: str = ""
    name: str = ""
    extra: dict = field(default_factory=dict)  # recorded in the metadata (e.g. how the data was made)


def encode(tokenizer, example: Example, config: TrainConfig) -> tuple[list[int], list[int]] | None:
    """(input_ids, labels) with labels -100 over the prompt, so only the answer is learned; None if too long."""
    messages = prompt_messages(example.question, example.contexts, config.max_source_chars, config.domain)
    prompt = prompt_ids(tokenizer, messages)
    # The answer ends with the end-of-turn token: generation stops there, so the model must learn it.
    answer = tokenizer(example.answer + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    ids = prompt + answer
    if len(ids) > config.max_length:
        return None
    return ids, [-100] * len(prompt) + answer


def split_examples(examples: Sequence[Example], config: TrainConfig) -> tuple[list[Example], list[Example]]:
    order = list(range(len(examples)))
    random.Random(config.seed).shuffle(order)
    n_eval = min(config.max_held_out, int(len(examples) * config.held_out)) if len(examples) >= 10 else 0
    held = sorted(order[:n_eval])
    keep = sorted(order[n_eval:])
    return [examples[i] for i in keep], [examples[i] for i in held]


def _seed(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def score(model, batches: Sequence[tuple[list[int], list[int]]]) -> dict:
    """Mean answer-token loss and next-token accuracy (argmax == reference) over encoded examples."""
    import torch

    total_loss, total_tokens, correct = 0.0, 0, 0
    model.eval()
    with torch.inference_mode():
        for ids, labels in batches:
            x = torch.tensor([ids])
            y = torch.tensor([labels])
            logits = model(input_ids=x).logits[0, :-1]
            target = y[0, 1:]
            mask = target != -100
            loss = torch.nn.functional.cross_entropy(logits[mask], target[mask], reduction="sum")
            total_loss += float(loss)
            total_tokens += int(mask.sum())
            correct += int((logits[mask].argmax(-1) == target[mask]).sum())
    if not total_tokens:
        return {"loss": None, "token_accuracy": None, "tokens": 0}
    return {"loss": round(total_loss / total_tokens, 4), "token_accuracy": round(correct / total_tokens, 4),
            "tokens": total_tokens}


def train(examples: Sequence[Example], out_dir: str | Path, config: TrainConfig, *, resume: bool = False,
          progress: bool = True, log: Callable[[str], None] = print, stop_after: int = 0) -> dict:
    """Train a LoRA adapter into out_dir; returns the metadata written beside it. `stop_after` > 0
    raises KeyboardInterrupt after that many steps, as a user's Ctrl-C would (tests of --resume)."""
    import torch
    from peft import LoraConfig, get_peft_model, set_peft_model_state_dict
    from tqdm import tqdm

    out = Path(out_dir)
    ckpt = out / CHECKPOINT
    if out.exists() and (out / "adapter_config.json").is_file() and not resume:
        raise TrainingError(f"adapter directory {out} already holds a trained adapter; pick another --name, "
                            f"remove it first, or pass --resume to continue an interrupted run")
    if resume and not (ckpt / "state.pt").is_file():
        raise TrainingError(f"--resume: expected a checkpoint at {ckpt}/state.pt, found none; start without --resume")
    if config.threads:
        torch.set_num_threads(config.threads)
    _seed(config.seed)
    tokenizer, base = load_base(config.base, config.cache_dir)
    train_ex, eval_ex = split_examples(examples, config)
    encoded = [e for e in (encode(tokenizer, ex, config) for ex in train_ex) if e is not None]
    held = [e for e in (encode(tokenizer, ex, config) for ex in eval_ex) if e is not None]
    skipped = len(train_ex) - len(encoded)
    if skipped:
        log(f"skipped {skipped} of {len(train_ex)} training examples longer than max_length={config.max_length} tokens")
    if not encoded:
        raise TrainingError(f"no training example fits max_length={config.max_length} tokens; raise --max-length "
                            f"or shorten contexts (--max-source-chars)")

    n_layers = base.config.num_hidden_layers
    layers = list(range(n_layers - config.top_layers, n_layers)) if 0 < config.top_layers < n_layers else None
    lora = LoraConfig(r=config.rank, lora_alpha=config.alpha, lora_dropout=config.dropout,
                      target_modules=list(config.targets), layers_to_transform=layers, task_type="CAUSAL_LM")
    model = get_peft_model(base, lora)
    if config.init_from:
        _init_from(model, Path(config.init_from))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=config.lr, weight_decay=0.0)
    steps_per_epoch = math.ceil(len(encoded) / config.grad_accum)
    total_steps = max(1, math.ceil(steps_per_epoch * config.epochs))
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    warmup = int(total_steps * config.warmup)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min(1.0, (s + 1) / max(1, warmup)) * max(0.0, 1 - s / total_steps) if warmup
        else max(0.0, 1 - s / total_steps))

    # The example order for every epoch is fixed by the seed, so a resumed run sees the same stream.
    stream: list[int] = []
    epoch = 0
    while len(stream) < total_steps * config.grad_accum:
        order = list(range(len(encoded)))
        random.Random(config.seed * 1000 + epoch).shuffle(order)
        stream.extend(order)
        epoch += 1

    step, losses = 0, []
    if resume:
        state = torch.load(ckpt / "state.pt", weights_only=False)
        from safetensors.torch import load_file

        set_peft_model_state_dict(model, load_file(str(ckpt / "adapter_model.safetensors")))
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, losses = state["step"], state["losses"]
        torch.set_rng_state(state["torch_rng"])
        log(f"resumed from step {step} of {total_steps}")

    started = time.perf_counter()
    model.train()
    bar = tqdm(total=total_steps, initial=step, desc="train", unit="step", disable=not progress)
    while step < total_steps:
        running = 0.0
        for micro in range(config.grad_accum):
            ids, labels = encoded[stream[step * config.grad_accum + micro]]
            result = model(input_ids=torch.tensor([ids]), labels=torch.tensor([labels]))
            (result.loss / config.grad_accum).backward()
            running += float(result.loss.detach()) / config.grad_accum
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        losses.append(round(running, 4))
        bar.set_postfix(loss=f"{running:.3f}", avg10=f"{sum(losses[-10:]) / len(losses[-10:]):.3f}")
        bar.update(1)
        if step % config.save_every == 0 and step < total_steps:
            _checkpoint(model, optimizer, scheduler, step, losses, ckpt)
        if stop_after and step >= stop_after:
            bar.close()
            raise KeyboardInterrupt(f"stopped after step {step} (stop_after)")
    bar.close()
    train_seconds = time.perf_counter() - started

    evaluation = {"examples": len(held)}
    if held:
        evaluation["adapter"] = score(model, held)
        with model.disable_adapter():
            evaluation["base"] = score(model, held)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)  # merge/serve need no other copy of the tokenizer
    shutil.rmtree(ckpt, ignore_errors=True)
    meta = {
        "name": config.name or out.name,
        "domain": config.domain,
        "base_model": config.base,
        "data_hash": data_hash(examples),
        "train_examples": len(encoded),
        "skipped_examples": skipped,
        "steps": step,
        "final_loss_avg10": round(sum(losses[-10:]) / max(1, len(losses[-10:])), 4),
        "train_seconds": round(train_seconds, 1),
        "eval": evaluation,
        "config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (out / METADATA).write_text(json.dumps(meta, indent=2))
    return meta


def _init_from(model, adapter_dir: Path) -> None:
    """Start from a trained adapter's weights (e.g. more steps on new data) instead of LoRA's zero init."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = adapter_dir / "adapter_model.safetensors"
    if not weights.is_file():
        raise TrainingError(f"init_from: expected {weights} (a PEFT adapter saved by save_pretrained), found none")
    result = set_peft_model_state_dict(model, load_file(str(weights)))
    unexpected = [k for k in getattr(result, "unexpected_keys", []) if "lora_" in k]
    if unexpected:
        raise TrainingError(f"init_from {adapter_dir}: its LoRA weights do not fit this configuration (rank, "
                            f"targets, top_layers must match); first unexpected key {unexpected[0]}")


def _checkpoint(model, optimizer, scheduler, step: int, losses: list, ckpt: Path) -> None:
    """Adapter weights + optimizer/scheduler/RNG state; written to a temp dir then swapped in, so a kill
    mid-write leaves the previous checkpoint intact."""
    import torch
    from peft import get_peft_model_state_dict
    from safetensors.torch import save_file

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    weights = {k: v.detach().contiguous() for k, v in get_peft_model_state_dict(model).items()}
    save_file(weights, str(tmp / "adapter_model.safetensors"))
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step,
                "losses": losses, "torch_rng": torch.get_rng_state()}, tmp / "state.pt")
    shutil.rmtree(ckpt, ignore_errors=True)
    tmp.rename(ckpt)
