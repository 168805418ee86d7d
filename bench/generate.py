"""Plain `model.generate` against the fast decoders (torch: generation/fastgen.py; onnx: generation/ortgen.py),
in one process, interleaved.

Prompts are what the assistant really sends: prompting.build_messages over --passages sources (retrieval's
top_k) led by the demo passage that answers each demo question, the citation constraint on (as the pipeline
decodes). For every prompt the modes run back to back (so load from other jobs on the machine skews them
alike) and each (mode, prompt) keeps the best of --repeat runs:

  generate              model.generate, greedy, repetition_penalty from GeneratorConfig (the baseline)
  generate, 1 thread    the same on one torch thread, to show how much of a gain is the thread count alone
  torch fast            FastDecoder, fp32 (bit-identical logits), decode steps on 1 thread
  torch fast+lookahead  … with prompt lookup: tokens copied from the sources proposed and checked in one
                        forward (greedy text kept; block forwards round in the last float bits)
  torch fast+prefix     … reusing the system block's keys/values (prefill rounding differs ~1e-5)
  torch fast-int8       … dynamic int8 linear layers (different numbers, so sometimes different text)
  onnx                  OrtDecoder on the model exported by onnxruntime-genai's builder, fp32, no drafts
  onnx+lookahead        … with prompt lookup (rejected drafts rewound)
  onnx+lookahead+prefix … keeping its state between prompts (the next prompt appends after the shared
                        system block; identical logits) — what `[generator] runtime = "onnx"` runs
  onnx-int8/int4        … the builder's int8 / int4 weights (different numbers)
  and the same with the adapter (default: the shipped grounded-answer adapter, which the default pipeline
  applies; `--adapter random`: a random-initialised LoRA): generate on the PeftModel; torch fast on the
  unmerged PeftModel, torch int8 on a merged-then-quantised copy; onnx with the LoRA in the exported graph.

Columns: end-to-end tokens/s (new tokens / wall time, prefill included), decode tokens/s (after the
first token), mean time to first token, prompts whose greedy text equals the baseline's, and the
process's peak RSS after the mode's first run (modes run in order of growing memory).

    .venv/bin/python bench/generate.py [--prompts 3] [--passages 4] [--max-new-tokens 120] [--repeat 2]
                                       [--adapter DIR|random] [--no-base] [--threads N] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.core.settings import GeneratorConfig, RetrievalConfig  # noqa: E402
from assistant.core.types import Document, Hit  # noqa: E402
from assistant.demo import CORPUS, QUESTIONS  # noqa: E402
from assistant.generation.adapters.registry import SHIPPED_ROOT  # noqa: E402
from assistant.generation.constrain import CitationConstraint  # noqa: E402
from assistant.generation.factory import GROUNDED  # noqa: E402
from assistant.generation.fastgen import FastDecoder, merge_adapter, quantize_int8  # noqa: E402
from assistant.generation.generator import TransformersGenerator, _Processor  # noqa: E402
from assistant.generation.ortgen import OrtDecoder, built_model  # noqa: E402
from assistant.generation.prompting import build_messages  # noqa: E402
from assistant.ingest.chunking import SentenceChunker  # noqa: E402


def prompts(n: int, max_chars: int, passages: int = RetrievalConfig().top_k) -> list[list[dict[str, str]]]:
    """The chat for each of the first n demo questions over `passages` sources (retrieval's top_k): the
    passage holding the answer first, then its document's other passages, then other documents of the
    same domain, each cut to max_chars as the pipeline does (~600 prompt tokens with the defaults)."""
    out = []
    for line in QUESTIONS.read_text(encoding="utf-8").splitlines()[:n]:
        q = json.loads(line)
        doc = CORPUS / q["expected_doc"]
        chunker = SentenceChunker()
        chunks = chunker.chunk(Document(id=q["expected_doc"], text=doc.read_text(encoding="utf-8"), title=doc.stem))
        chunks.sort(key=lambda c: q["answer_contains"].lower() not in c.text.lower())
        for other in sorted(doc.parent.glob("*.md")):
            if len(chunks) >= passages:
                break
            if other != doc:
                chunks += chunker.chunk(Document(id=other.name, text=other.read_text(encoding="utf-8"),
                                                 title=other.stem))
        out.append(build_messages(q["question"], [Hit(c, 1.0) for c in chunks[:passages]], max_chars))
    return out


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB


class Stamps:
    """A generate() streamer that only notes when each batch of tokens arrives (prompt first)."""

    def __init__(self) -> None:
        self.times: list[float] = []

    def put(self, value) -> None:
        self.times.append(time.perf_counter())

    def end(self) -> None:
        pass


def run_generate(model, tok, inputs, max_new: int, penalty: float, constraint=None) -> tuple[list[int], float, float]:
    stamps, started = Stamps(), time.perf_counter()
    processors = [_Processor(constraint(), inputs["input_ids"].shape[1])] if constraint else None
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=max_new, do_sample=False, repetition_penalty=penalty,
                             pad_token_id=tok.pad_token_id, streamer=stamps, logits_processor=processors)
    total = time.perf_counter() - started
    return out[0, inputs["input_ids"].shape[1]:].tolist(), stamps.times[1] - started, total


def run_fast(decoder, prefix, inputs, max_new: int, penalty: float, constraint=None) -> tuple[list[int], float, float]:
    ids = list(decoder.generate_ids(inputs["input_ids"], max_new_tokens=max_new, repetition_penalty=penalty,
                                    prefix=prefix, constraint=constraint() if constraint else None))
    return ids, decoder.last.first_token_s, decoder.last.total_s


def random_adapter(base_dir: Path, out: Path) -> Path:
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    model = get_peft_model(AutoModelForCausalLM.from_pretrained(base_dir),
                           LoraConfig(r=8, target_modules=["q_proj", "v_proj", "up_proj"], init_lora_weights=False))
    torch.manual_seed(0)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.02)
    model.save_pretrained(out)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prompts", type=int, default=3)
    ap.add_argument("--max-new-tokens", type=int, default=GeneratorConfig().max_new_tokens)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--adapter", help="a PEFT LoRA directory, or 'random' (a random-initialised one); default: "
                                      "the shipped grounded-answer adapter, as the default pipeline runs")
    ap.add_argument("--no-adapter", action="store_true", help="skip the adapter modes")
    ap.add_argument("--no-base", action="store_true", help="skip the modes without an adapter")
    ap.add_argument("--passages", type=int, default=RetrievalConfig().top_k,
                    help="sources per prompt (6: ~600-token prompts)")
    ap.add_argument("--no-constraint", action="store_true", help="decode without the citation constraint")
    ap.add_argument("--onnx-cache", help="where exported onnx models are kept (default: the generator's cache)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default, all cores)")
    ap.add_argument("--json", help="write the figures here")
    ap.add_argument("--lookahead", type=int, default=GeneratorConfig().lookahead, help="draft tokens per step")
    ap.add_argument("--decode-threads", type=int, default=GeneratorConfig().decode_threads)
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    from peft import PeftModel

    gen = TransformersGenerator(GeneratorConfig(fast=False))
    gen.warm_up()
    tok, base = gen._tokenizer, gen._model
    cfg, penalty = gen.config, gen.config.repetition_penalty
    messages = prompts(args.prompts, cfg.max_source_chars, args.passages)
    inputs = [tok.apply_chat_template(m, add_generation_prompt=True, return_tensors="pt", return_dict=True)
              for m in messages]
    prefixes = [tuple(tok.apply_chat_template(m[:1], return_dict=True)["input_ids"]) for m in messages]
    eos = [tok.eos_token_id]
    dt, la = args.decode_threads, args.lookahead
    constraint = None if args.no_constraint else (lambda: CitationConstraint(tok, args.passages, tuple(eos)))
    base_dir = Path(cfg.model) if Path(cfg.model).is_dir() else cfg.cache_path() / "models" / "SmolLM2-135M-Instruct"
    cache = Path(args.onnx_cache) if args.onnx_cache else cfg.cache_path()

    def fast(decoder, with_prefix=False):
        return lambda i: run_fast(decoder, prefixes[i] if with_prefix else (), inputs[i], args.max_new_tokens,
                                  penalty, constraint)

    def onnx(adapter, precision="fp32", lookahead=la, prefix_cache=False):
        started = time.perf_counter()
        built = built_model(base_dir, cache, adapter, precision)
        build_s[precision, adapter] = time.perf_counter() - started
        return fast(OrtDecoder(built, eos_token_ids=eos, lookahead=lookahead, prefix_cache=prefix_cache))

    build_s: dict = {}
    # (name, baseline name, runner); built lazily so each mode's memory shows up in its own row
    modes = [("generate", None, lambda: lambda i: run_generate(base, tok, inputs[i], args.max_new_tokens, penalty,
                                                              constraint)),
             # not a fast-path mode: shows how much of the gain is the thread count alone
             ("generate, 1 thread", "generate", lambda: lambda i: _one_thread(
                 lambda: run_generate(base, tok, inputs[i], args.max_new_tokens, penalty, constraint))),
             ("torch fast", "generate", lambda: fast(FastDecoder(base, eos_token_ids=eos, decode_threads=dt))),
             ("torch fast+lookahead", "generate", lambda: fast(FastDecoder(base, eos_token_ids=eos, decode_threads=dt,
                                                                          lookahead=la))),
             ("torch fast+prefix", "generate",
              lambda: fast(FastDecoder(base, eos_token_ids=eos, prefix_cache=True), with_prefix=True)),
             ("torch fast-int8", "generate", lambda: fast(FastDecoder(quantize_int8(base), eos_token_ids=eos))),
             ("onnx", "generate", lambda: onnx(None, lookahead=0)),
             ("onnx+lookahead", "generate", lambda: onnx(None)),
             ("onnx+lookahead+prefix", "generate", lambda: onnx(None, prefix_cache=True)),
             ("onnx-int8+lookahead", "generate", lambda: onnx(None, "int8")),
             ("onnx-int4+lookahead", "generate", lambda: onnx(None, "int4"))]
    if args.no_base:
        modes = []
    note = ""
    if not args.no_adapter:
        if args.adapter == "random":
            adapter = random_adapter(base_dir, Path(tempfile.mkdtemp(prefix="bench-lora-")) / "adapter")
            note = "adapter: random-initialised LoRA r=8 on q/v/up (untrained; speed and equality only)"
        else:
            adapter = Path(args.adapter) if args.adapter else SHIPPED_ROOT / GROUNDED
            note = f"adapter: {adapter}"
        import copy
        peft = PeftModel.from_pretrained(copy.deepcopy(base), str(adapter)).eval()
        modes += [("lora generate", None, lambda: lambda i: run_generate(peft, tok, inputs[i], args.max_new_tokens,
                                                                          penalty, constraint)),
                  ("lora torch fast+lookahead", "lora generate", lambda: fast(
                      FastDecoder(peft, eos_token_ids=eos, decode_threads=dt, lookahead=la))),
                  ("lora torch fast-int8 (merged)", "lora generate",
                   lambda: fast(FastDecoder(quantize_int8(merge_adapter(peft)), eos_token_ids=eos))),
                  ("lora onnx", "lora generate", lambda: onnx(adapter, lookahead=0)),
                  ("lora onnx+lookahead (default)", "lora generate", lambda: onnx(adapter)),
                  ("lora onnx+lookahead+prefix", "lora generate", lambda: onnx(adapter, prefix_cache=True)),
                  ("lora onnx-int8+lookahead", "lora generate", lambda: onnx(adapter, "int8")),
                  ("lora onnx-int4+lookahead", "lora generate", lambda: onnx(adapter, "int4"))]

    runners, results = {}, {}
    for name, _, make in modes:  # build + warm each mode once (first-call allocations, lazy kernels)
        runners[name] = make()
        # on the last prompt: a decoder that keeps its state then meets prompt 0 after a different one,
        # as a served request meets the previous request's prompt (only the system block is shared)
        runners[name](len(inputs) - 1)
        results[name] = {"rss_mb": peak_rss_mb(), "runs": [None] * len(inputs)}
    for _ in range(args.repeat):
        for i in range(len(inputs)):
            for name, _, _ in modes:
                ids, ttft, total = runners[name](i)
                best = results[name]["runs"][i]
                if best is None or total < best[2]:
                    results[name]["runs"][i] = (ids, ttft, total)

    table = []
    for name, baseline, _ in modes:
        runs = results[name]["runs"]
        new = sum(len(r[0]) for r in runs)
        total = sum(r[2] for r in runs)
        decode_tokens = sum(len(r[0]) - 1 for r in runs)
        decode_s = sum(r[2] - r[1] for r in runs)
        row = {"mode": name, "new_tokens": new, "tokens_per_s": new / total, "decode_tokens_per_s":
               decode_tokens / decode_s if decode_s else 0.0, "ttft_s": sum(r[1] for r in runs) / len(runs),
               "peak_rss_mb": results[name]["rss_mb"], "baseline": baseline}
        if baseline:
            ref = results[baseline]["runs"]
            row["same_text"] = sum(tok.decode(a[0], skip_special_tokens=True) == tok.decode(b[0], skip_special_tokens=True)
                                   for a, b in zip(runs, ref))
            ref_row = next(r for r in table if r["mode"] == baseline)
            row["speedup"] = row["tokens_per_s"] / ref_row["tokens_per_s"]
            row["decode_speedup"] = row["decode_tokens_per_s"] / ref_row["decode_tokens_per_s"]
            row["ttft_speedup"] = ref_row["ttft_s"] / row["ttft_s"]
        table.append(row)

    n = len(inputs)
    print(f"{n} prompts ({', '.join(str(x['input_ids'].shape[1]) for x in inputs)} tokens), "
          f"max_new_tokens={args.max_new_tokens}, repetition_penalty={penalty}, threads={torch.get_num_threads()}, "
          f"best of {args.repeat}")
    if note:
        print(note)
    for (precision, adapter), seconds in build_s.items():
        print(f"onnx {precision}{' + adapter' if adapter else ''}: exported or found in cache in {seconds:.1f} s")
    print(f"{'mode':<24}{'tok/s':>7}{'×':>6}{'decode tok/s':>14}{'×':>6}{'TTFT s':>8}{'×':>6}"
          f"{'same text':>11}{'peak RSS MB':>13}")
    for r in table:
        same = f"{r['same_text']}/{n}" if r["baseline"] else "—"
        x = (lambda k: f"{r[k]:.2f}" if k in r else "")
        print(f"{r['mode']:<24}{r['tokens_per_s']:>7.1f}{x('speedup'):>6}{r['decode_tokens_per_s']:>14.1f}"
              f"{x('decode_speedup'):>6}{r['ttft_s']:>8.2f}{x('ttft_speedup'):>6}{same:>11}{r['peak_rss_mb']:>13.0f}")
    for i in range(n):  # the texts, for reading drift: the baseline's, then any that differ
        for name, baseline, _ in modes:
            text = tok.decode(results[name]["runs"][i][0], skip_special_tokens=True).strip()
            if baseline is None or text != tok.decode(results[baseline]["runs"][i][0], skip_special_tokens=True).strip():
                print(f"  #{i} {name}: {text[:200]!r}")
    if args.json:
        Path(args.json).write_text(json.dumps({"prompts": n, "max_new_tokens": args.max_new_tokens,
                                               "prompt_tokens": [x["input_ids"].shape[1] for x in inputs],
                                               "threads": torch.get_num_threads(), "note": note, "rows": table},
                                              indent=2))


def _one_thread(run):
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return run()
    finally:
        torch.set_num_threads(before)


if __name__ == "__main__":
    main()
