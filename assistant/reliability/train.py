"""`assistant verifier train`: the verifier's cross-encoder, (premise, claim) → P(supported), fine-tuned
from the bundled all-MiniLM-L6-v2 on the pairs of verifier_pairs.py (training split only).

Why this recipe: the embeddings (half of MiniLM's weights) stay frozen, so the shipped delta is the
six encoder layers and the head in fp16 (about 21 MB); `--top-layers` freezes more for a faster CPU
run. Batches are built from length-sorted buckets so short pairs are not padded to long ones (most
NLI premises are one or two sentences). The class imbalance is balanced in the loss, so 0.5 is the
natural threshold. Resumable: a checkpoint every SAVE_EVERY steps, `--resume` continues it; seeded."""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from assistant.core.errors import AssistantError
from assistant.reliability import ce_model
from assistant.reliability.nli_sets import HELD_OUT, TRAIN, Pair
from assistant.reliability.signals import best_window, max_over_windows, window_chars
from assistant.reliability.verifier_card import write_card

CHECKPOINT = "checkpoint"
SAVE_EVERY = 200  # optimizer steps between checkpoints
LAYERS = 6  # all-MiniLM-L6-v2
REPORT_SAMPLE = 500  # held-out pairs scored per source at the end of training
# The two dev sets the acceptance figures are measured on have small fit halves (773 and 527 pairs):
# each of their pairs is seen twice per epoch.
UPWEIGHTED, UPWEIGHT = frozenset({"healthver", "contractnli"}), 2


@dataclass(frozen=True)
class TrainingRequest:
    data: str | None = None  # the shared data folder (None: ../shared/data)
    pairs: str | None = None  # a file --write-pairs wrote, instead of building from `data`
    out: str | None = None  # the model folder (None: the shipped one in the package)
    base: str = ce_model.BUNDLED_BASE
    # The shipped recipe: one pass over 32,000 pairs, the top three layers, 256 tokens: about an hour
    # on 2 cores (all six layers: 4.9 s per batch of 32 here, against about 3.5).
    epochs: float = 1.0
    lr: float = 5e-5
    batch_size: int = 32
    max_length: int = 256
    max_steps: int = 0  # 0: epochs decide
    max_pairs: int = 32000  # 0: every training pair; else sample_pairs's selection
    top_layers: int = 3  # encoder layers trained, counted from the top
    seed: int = 0
    resume: bool = False
    device: str = "auto"
    report_sample: int = REPORT_SAMPLE
    bf16: bool = False  # bf16 autocast on a CPU too (on a GPU always): ~15 % faster steps on AVX512-BF16 cores
    command: str = ""  # how it was called, for the data card

    def __post_init__(self) -> None:
        for name in ("epochs", "lr", "batch_size", "max_length"):
            if getattr(self, name) <= 0:
                raise AssistantError(f"verifier train: expected a positive --{name.replace('_', '-')}, found "
                                     f"{getattr(self, name)}")
        if not 0 <= self.top_layers <= LAYERS:
            raise AssistantError(f"verifier train: expected --top-layers between 0 and {LAYERS}, found {self.top_layers}")

    @classmethod
    def from_args(cls, args) -> "TrainingRequest":
        return cls(args.data, args.pairs, args.out, args.base, args.epochs, args.lr, args.batch_size, args.max_length,
                   args.max_steps, args.max_pairs, args.top_layers, args.seed, args.resume, args.device,
                   args.report_sample, args.bf16)


def _batches(pairs: list[Pair], size: int, rng: random.Random) -> list[list[Pair]]:
    """Shuffled batches of similar lengths: sort within buckets of 50 batches, then shuffle batches."""
    order = pairs[:]
    rng.shuffle(order)
    bucket = size * 50
    batches = []
    for b in range(0, len(order), bucket):
        chunk = sorted(order[b:b + bucket], key=lambda p: len(p.premise) + len(p.claim))
        batches += [chunk[i:i + size] for i in range(0, len(chunk), size)]
    rng.shuffle(batches)
    return batches


def family(source: str) -> str:
    """The set a pair comes from, its construction kinds pooled: "medquad-negation" → "medquad"."""
    return source.split("-")[0]


def sample_pairs(pairs: list[Pair], limit: int, rng: random.Random) -> list[Pair]:
    """At most `limit` pairs (0: all), the in-domain dev fit halves repeated UPWEIGHT times. Families are
    water-filled: each keeps min(size, cap), with cap as large as the limit allows, so the two big ones
    (DocNLI, the MedQuAD constructions) are cut and the small in-domain sets are kept whole."""
    pairs = [p for p in pairs for _ in range(UPWEIGHT if p.source in UPWEIGHTED else 1)]
    if not limit or len(pairs) <= limit:
        return pairs
    groups: dict[str, list[Pair]] = {}
    for p in pairs:
        groups.setdefault(family(p.source), []).append(p)
    sizes = sorted(len(g) for g in groups.values())
    cap, left, n = 0, limit, len(sizes)
    for k, size in enumerate(sizes):
        if size * (n - k) <= left:
            left -= size
        else:
            cap = left // (n - k)
            break
    else:
        cap = sizes[-1]
    out = []
    for g in groups.values():
        out += g if len(g) <= cap else rng.sample(g, cap)
    return out


def _trainable(model, top_layers: int) -> list[str]:
    keep = tuple(f"encoder.layer.{i}." for i in range(LAYERS - top_layers, LAYERS))
    names = []
    for name, param in model.named_parameters():
        param.requires_grad = "classifier" in name or "pooler" in name or any(k in name for k in keep)
        if param.requires_grad:
            names.append(name)
    return names


def _device(name: str):
    import torch

    return torch.device("cuda" if name == "auto" and torch.cuda.is_available() else ("cpu" if name == "auto" else name))


def score(tok, model, pairs: list[Pair], max_length: int, batch_size: int = 64) -> list[float]:
    """P(supported) for each pair, in order, read as run time reads it: the maximum over the premise's windows."""
    return max_over_windows(tok, model, [p.premise for p in pairs], [p.claim for p in pairs], max_length, batch_size)


def windowed(pairs: list[Pair], max_length: int) -> list[Pair]:
    """Each long premise cut to its window closest to the claim (signals.best_window), so that what a
    pair's label says is still in the tokens the model reads: truncating a 4,000-character document at
    256 tokens dropped the evidence of many "supported" pairs and taught the model noise."""
    limit = window_chars(max_length)
    return [p if len(p.premise) <= limit else replace(p, premise=best_window(p.premise, p.claim, limit)) for p in pairs]


def held_out_report(tok, model, pairs: list[Pair], max_length: int, per_source: int = REPORT_SAMPLE,
                    seed: int = 0) -> dict[str, dict]:
    """Balanced accuracy at 0.5 per source of the held-out split (the data card's table), on a seeded
    sample of at most `per_source` pairs each (bench/verify.py scores the dev halves in full)."""
    import numpy as np

    from assistant.reliability.calibrate import balanced_accuracy

    rng = random.Random(seed)
    by_source: dict[str, list[Pair]] = {}
    for p in pairs:
        if p.split == HELD_OUT:
            by_source.setdefault(p.source, []).append(p)
    held = [p for ps in by_source.values() for p in (rng.sample(ps, per_source) if len(ps) > per_source else ps)]
    scores = np.array(score(tok, model, held, max_length))
    report = {}
    for source in sorted({p.source for p in held}):
        idx = [i for i, p in enumerate(held) if p.source == source]
        y = np.array([held[i].label for i in idx])
        report[source] = {"pairs": len(idx), "balanced_accuracy": round(balanced_accuracy(y, scores[idx] >= 0.5), 4)
                          if 0 < y.sum() < len(y) else None, "accuracy": round(float(np.mean((scores[idx] >= 0.5) == y)), 4)}
    return report


def train(args: TrainingRequest, pairs: list[Pair], progress: Callable[[str], None] = print) -> Path:
    import torch
    from tqdm import tqdm
    from transformers import get_linear_schedule_with_warmup

    out = Path(args.out).expanduser() if args.out else ce_model.SHIPPED
    ckpt = out.parent / f"{out.name}.{CHECKPOINT}"
    if ckpt.exists() and not args.resume:
        raise AssistantError(f"verifier train: found a checkpoint at {ckpt}; expected none without --resume. "
                             f"Pass --resume to continue it or delete {ckpt} to start over")
    rng = random.Random(args.seed)
    train_pairs = windowed(sample_pairs([p for p in pairs if p.split == TRAIN], args.max_pairs, rng), args.max_length)
    if not train_pairs or len({p.label for p in train_pairs}) < 2:
        raise AssistantError(f"verifier train: expected training pairs of both labels, found {len(train_pairs)}")
    torch.manual_seed(args.seed)
    device = _device(args.device)
    tok, model = ce_model.new_model(args.base)
    trained = _trainable(model, args.top_layers)
    epochs = [_batches(train_pairs, args.batch_size, random.Random(args.seed + e)) for e in range(int(args.epochs + 0.999))]
    per_epoch = len(epochs[0])
    total = args.max_steps or int(per_epoch * args.epochs)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * total), total)
    step = 0
    if args.resume and (ckpt / "state.pt").is_file():
        state = torch.load(ckpt / "state.pt", weights_only=False)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = int(state["step"])
        progress(f"resumed at step {step} of {total}")
    model.to(device).train()
    bf16 = device.type == "cuda" or args.bf16
    positive = sum(p.label for p in train_pairs) / len(train_pairs)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - positive) / positive, device=device))
    started = time.time()
    with tqdm(total=total, initial=step, desc="verifier train", unit="step") as bar:
        while step < total:
            batch = epochs[(step // per_epoch) % len(epochs)][step % per_epoch]
            enc = tok([p.premise for p in batch], [p.claim for p in batch], truncation="longest_first",
                      max_length=args.max_length, padding=True, return_tensors="pt").to(device)
            with torch.autocast(device.type, torch.bfloat16, enabled=bf16):
                logits = model(**enc).logits[:, 0].float()
            loss = loss_fn(logits, torch.tensor([float(p.label) for p in batch], device=device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step % SAVE_EVERY == 0 and step < total:
                _checkpoint(ckpt, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                   "schedule": schedule.state_dict(), "step": step})
    seconds = round(time.time() - started, 1)
    progress("scoring the held-out pairs")
    report = held_out_report(tok, model, pairs, args.max_length, args.report_sample)
    tmp = out.parent / f"{out.name}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    ce_model.save_delta(model, trained, tmp, {
        "base": args.base,
        "max_length": args.max_length, "pairs": len(train_pairs), "steps": total, "epochs": args.epochs,
        "lr": args.lr, "batch_size": args.batch_size, "top_layers": args.top_layers, "seed": args.seed,
        "device": device.type, "bf16": bf16, "seconds": seconds,
        "window_chars": window_chars(args.max_length), "held_out": report})
    write_card(tmp, json.loads((tmp / ce_model.META).read_text(encoding="utf-8")), pairs, train_pairs,
               args.command or "train.train(TrainingRequest(...)) from Python")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)
    shutil.rmtree(ckpt, ignore_errors=True)
    return out


def _checkpoint(ckpt: Path, state: dict) -> None:
    import torch

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    torch.save(state, tmp / "state.pt")
    shutil.rmtree(ckpt, ignore_errors=True)
    tmp.rename(ckpt)  # a kill while saving leaves the previous checkpoint or a complete .tmp
