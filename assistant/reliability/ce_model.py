"""The verifier's cross-encoder as it ships: only the weights training changed (the top encoder layers
and the classification head, fp16) over the bundled all-MiniLM-L6-v2 base, which every install
already has. Tens of MB instead of a full model copy; loaded back to a complete float32 model.

A directory in this format holds `verifier.json` (base, which parameters, max length, the card's
metrics) and `delta.safetensors`. Any ordinary Hugging Face / sentence-transformers CrossEncoder
directory (with its own config.json) is loaded as it is instead."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from assistant.core.errors import ModelNotFoundError

SHIPPED = Path(__file__).with_name("verifier_model")
META, DELTA = "verifier.json", "delta.safetensors"
BUNDLED_BASE = "bundled"


def is_delta(path: Path) -> bool:
    return (path / META).is_file() and (path / DELTA).is_file()


def base_path(name: str) -> Path:
    if name == BUNDLED_BASE:
        from assistant.core.models import embedder_path
        from assistant.core.settings import BUNDLED_EMBEDDER

        return Path(embedder_path(BUNDLED_EMBEDDER))
    return Path(name).expanduser()


def new_model(base: str | Path) -> tuple[Any, Any]:
    """(tokenizer, model with a fresh one-logit head) from an encoder directory."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from assistant.core.models import quiet_transformers

    quiet_transformers()
    path = base_path(str(base))
    # float32 whatever the stored dtype: the base may be an fp16 copy, and AdamW needs full precision.
    return AutoTokenizer.from_pretrained(path), AutoModelForSequenceClassification.from_pretrained(
        path, num_labels=1, dtype=torch.float32)


def probabilities(tok, model, premises: Sequence[str], claims: Sequence[str], max_length: int,
                  batch_size: int = 32, entail: int = -1) -> list[float]:
    """P(supported) of premises[k] vs claims[k], in order: length-sorted batches (short pairs are not
    padded to long ones), bf16 autocast on a GPU. A one-logit head goes through a sigmoid; an NLI head
    (several outputs) gives the softmax of its `entail` column."""
    import torch

    device = next(model.parameters()).device
    order = sorted(range(len(claims)), key=lambda i: len(premises[i]) + len(claims[i]))
    out = [0.0] * len(claims)
    model.eval()
    for b in range(0, len(order), batch_size):
        idx = order[b:b + batch_size]
        enc = tok([premises[i] for i in idx], [claims[i] for i in idx], truncation="longest_first",
                  max_length=max_length, padding=True, return_tensors="pt").to(device)
        with torch.inference_mode(), torch.autocast(device.type, torch.bfloat16, enabled=device.type == "cuda"):
            logits = model(**enc).logits.float()
        probs = torch.softmax(logits, 1)[:, entail] if logits.shape[1] > 1 else torch.sigmoid(logits[:, 0])
        for i, p in zip(idx, probs.tolist()):
            out[i] = p
    return out


def save_delta(model, trained: list[str], out: Path, meta: dict) -> Path:
    """Writes the named parameters in fp16 plus verifier.json into `out` (a new or emptied folder)."""
    from safetensors.torch import save_file

    out.mkdir(parents=True, exist_ok=True)
    state = model.state_dict()
    save_file({k: state[k].detach().to("cpu").half().contiguous() for k in trained}, str(out / DELTA))
    (out / META).write_text(json.dumps({**meta, "trained": trained}, indent=1), encoding="utf-8")
    return out


def load(path: str | Path) -> tuple[Any, Any, dict]:
    """(tokenizer, eval-mode float32 model, meta) of a delta directory or a full model directory."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from assistant.core.models import quiet_transformers

    path = Path(path).expanduser()
    quiet_transformers()
    if is_delta(path):
        import torch
        from safetensors.torch import load_file

        meta = json.loads((path / META).read_text(encoding="utf-8"))
        tok, model = new_model(meta.get("base", BUNDLED_BASE))
        delta = load_file(str(path / DELTA))
        missing = set(meta["trained"]) - set(delta)
        if missing:
            raise ModelNotFoundError(f"verifier model {path}: expected weights for {sorted(missing)[:3]} in {DELTA}, "
                                     f"found none; re-run `assistant verifier train`")
        with torch.no_grad():
            params = model.state_dict()
            for k, v in delta.items():
                params[k].copy_(v.float())
        return tok, model.eval(), meta
    if not (path / "config.json").is_file():
        raise ModelNotFoundError(f"cross-encoder: expected a local model directory with config.json (or "
                                 f"{META} + {DELTA}), found nothing usable at {path}; fix the path or set it to off")
    return AutoTokenizer.from_pretrained(path), AutoModelForSequenceClassification.from_pretrained(path).eval(), {}
