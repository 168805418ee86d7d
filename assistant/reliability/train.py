"""`assistant verifier train`: a small cross-encoder (claim, evidence sentence) → P(supported), fine-tuned
on CPU from the bundled all-MiniLM-L6-v2 weights on the dev sets' fit halves plus synthetic
perturbations. The weights go to the user's cache (never the repository); `verifier calibrate` then
uses its score as one more signal.

It sees the same evidence sentence the other signals are measured against (the claim's best-matching
one), so training and run time agree, and pairs stay short enough to train in minutes on a laptop."""

from __future__ import annotations

import json
import random
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from assistant.core.errors import AssistantError
from assistant.core.models import embedder_path, quiet_transformers
from assistant.core.settings import BUNDLED_EMBEDDER, Settings
from assistant.embedding.embedder import Embedder
from assistant.reliability.calibrate import compute_features, prepare, synthetic
from assistant.reliability.datasets import SUPPORTED
from assistant.reliability.signals import SignalExtractor
from assistant.reliability.verifier import trained_verifier_dir

CHECKPOINT = "checkpoint"
SAVE_EVERY = 50  # optimizer steps between checkpoints


@dataclass(frozen=True)
class TrainingRequest:
    """What `train_cross_encoder` fits: the dev sets (None: ../shared/data), where the model goes (None:
    the cache), and the optimiser's settings. The CLI builds it with `from_args`."""

    healthver: str | None = None
    contractnli: str | None = None
    out: str | None = None
    epochs: float = 2.0
    lr: float = 3e-5
    batch_size: int = 16
    max_length: int = 160
    max_steps: int = 0  # 0: epochs decide
    seed: int = 0
    resume: bool = False

    def __post_init__(self) -> None:
        for name in ("epochs", "lr", "batch_size", "max_length"):
            if getattr(self, name) <= 0:
                raise AssistantError(f"verifier train: expected a positive --{name.replace('_', '-')}, found "
                                     f"{getattr(self, name)}")

    @classmethod
    def from_args(cls, args) -> "TrainingRequest":
        return cls(args.healthver, args.contractnli, args.out, args.epochs, args.lr, args.batch_size,
                   args.max_length, args.max_steps, args.seed, args.resume)


def training_pairs(args: TrainingRequest, settings: Settings, progress: Callable[[str], None]) -> list[tuple[str, str, float]]:
    embedder = Embedder(settings.embedding)
    cache = trained_verifier_dir(settings) / "features"
    halves = prepare({"healthver": args.healthver, "contractnli": args.contractnli}, embedder, cache, args.seed,
                     progress)
    fit = [e for f, _ in halves.values() for e in f]
    fit_all = fit + synthetic(fit, args.seed)
    feats = compute_features(fit_all, SignalExtractor(embedder), {}, cache, progress)
    return [(f.evidence or " ", e.claim, float(e.label == SUPPORTED)) for e, f in zip(fit_all, feats)]


def train_cross_encoder(args: TrainingRequest, settings: Settings, progress: Callable[[str], None]) -> Path:
    import torch
    from tqdm import tqdm
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    quiet_transformers()
    out = Path(args.out).expanduser() if args.out else trained_verifier_dir(settings)
    ckpt = out / CHECKPOINT
    if ckpt.exists() and not args.resume:
        raise AssistantError(f"verifier train: found a checkpoint at {ckpt}; expected none without --resume. "
                             f"Pass --resume to continue it or delete {ckpt} to start over")
    pairs = training_pairs(args, settings, progress)
    random.Random(args.seed).shuffle(pairs)
    torch.manual_seed(args.seed)
    source = ckpt if args.resume and ckpt.exists() else embedder_path(BUNDLED_EMBEDDER)
    tok = AutoTokenizer.from_pretrained(source)
    model = AutoModelForSequenceClassification.from_pretrained(source, num_labels=1)
    steps_per_epoch = (len(pairs) + args.batch_size - 1) // args.batch_size
    total = args.max_steps or int(steps_per_epoch * args.epochs)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    schedule = get_linear_schedule_with_warmup(optimizer, int(0.06 * total), total)
    step = 0
    if args.resume and (ckpt / "state.pt").is_file():
        state = torch.load(ckpt / "state.pt", weights_only=False)
        optimizer.load_state_dict(state["optimizer"])
        schedule.load_state_dict(state["schedule"])
        step = int(state["step"])
    positive = sum(p[2] for p in pairs) / len(pairs)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor((1 - positive) / max(positive, 1e-6)))
    model.train()
    started = time.time()
    with tqdm(total=total, initial=step, desc="verifier train", unit="step") as bar:
        while step < total:
            b = (step % steps_per_epoch) * args.batch_size
            batch = pairs[b:b + args.batch_size]
            enc = tok([p[0] for p in batch], [p[1] for p in batch], truncation="only_first",
                      max_length=args.max_length, padding=True, return_tensors="pt")
            loss = loss_fn(model(**enc).logits[:, 0], torch.tensor([p[2] for p in batch]))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            step += 1
            bar.update(1)
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if step % SAVE_EVERY == 0 or step == total:
                _save(model, tok, ckpt, {"optimizer": optimizer.state_dict(), "schedule": schedule.state_dict(),
                                         "step": step})
    final = out / "model"
    tmp = out / "model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    (tmp / "verifier-train.json").write_text(json.dumps({
        "base": BUNDLED_EMBEDDER, "pairs": len(pairs), "steps": total, "epochs": args.epochs, "lr": args.lr,
        "batch_size": args.batch_size, "max_length": args.max_length, "seed": args.seed,
        "seconds": round(time.time() - started, 1)}, indent=1))
    shutil.rmtree(final, ignore_errors=True)
    tmp.rename(final)
    shutil.rmtree(ckpt, ignore_errors=True)
    return final


def _save(model, tok, ckpt: Path, state: dict) -> None:
    import torch

    tmp = ckpt.with_name(ckpt.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    torch.save(state, tmp / "state.pt")
    shutil.rmtree(ckpt, ignore_errors=True)
    tmp.rename(ckpt)  # a kill while saving leaves a complete checkpoint.tmp to recover by hand
