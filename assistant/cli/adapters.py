"""`assistant adapters …`: convert / synthesize training data, train, list, remove, merge and evaluate
LoRA domain adapters. Kept apart from cli.py, which only registers the `adapters` command."""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from assistant.core.errors import AssistantError
from assistant.core.settings import Settings

SPLITS = ("all", "train", "held-out")


def add_parser(sub) -> None:
    p = sub.add_parser("adapters", help="LoRA domain adapters: data, training, registry, evaluation")
    a = p.add_subparsers(dest="adapters_command", required=True)

    def with_dir(q: argparse.ArgumentParser) -> argparse.ArgumentParser:
        q.add_argument("--dir", help="adapter registry directory (default: <cache dir>/adapters)")
        return q

    q = a.add_parser("convert-pubmedqa", help="PubMedQA JSON (pqal format) → training JSONL")
    q.add_argument("--in", dest="input", required=True, help="e.g. ../shared/data/pubmedqa/pqal_dev.json")
    q.add_argument("--out", required=True)
    _split_arguments(q)

    q = a.add_parser("synthesize", help="question / cited-answer pairs from a knowledge base's own chunks")
    q.add_argument("--kb", required=True)
    q.add_argument("--out", required=True)
    q.add_argument("--contexts", type=int, default=3, help="sources per example (one answers, the rest distract)")
    q.add_argument("--seed", type=int, default=0)

    q = with_dir(a.add_parser("train", help="train a LoRA adapter on a JSONL file"))
    q.add_argument("--name", required=True)
    q.add_argument("--domain", required=True, help="e.g. healthcare, legal: `adapter=auto` picks by this")
    q.add_argument("--data", required=True, help='JSONL of {"question", "contexts", "answer"}')
    q.add_argument("--base", help="base model: a local HF causal-LM directory (default: the generator's model)")
    q.add_argument("--epochs", type=float, default=1.0)
    q.add_argument("--lr", type=float, default=2e-4)
    q.add_argument("--rank", type=int, default=8)
    q.add_argument("--top-layers", type=int, default=0, help="adapt only the top N layers (0 = all; faster on CPU)")
    q.add_argument("--max-length", type=int, default=768)
    q.add_argument("--max-steps", type=int, default=0)
    q.add_argument("--seed", type=int, default=0)
    q.add_argument("--resume", action="store_true", help="continue from the adapter's last checkpoint")
    q.add_argument("--json", action="store_true")

    q = a.add_parser("train-grounded", help="build the grounded-answer data from ../shared/data and train the "
                                            "shipped adapter (resumable; writes its data card)")
    q.add_argument("--out", help="adapter directory (default: the shipped one inside the package)")
    q.add_argument("--data-out", help="also write the training examples to this JSONL file")
    q.add_argument("--max-steps", type=int, default=0, help="stop early (smoke runs)")
    q.add_argument("--resume", action="store_true", help="continue from the last checkpoint in --out")
    q.add_argument("--init-from", help="a second stage: start from this trained adapter's weights")
    q.add_argument("--sources", help="train on these sources only (comma-separated, e.g. PubMedQA,ContractNLI)")
    q.add_argument("--replay", type=int, default=0,
                   help="with --sources: this many examples of the other sources too, so nothing is forgotten")

    q = with_dir(a.add_parser("list", help="trained adapters"))
    q.add_argument("--json", action="store_true")
    q = with_dir(a.add_parser("remove", help="delete an adapter from the registry"))
    q.add_argument("name")
    q = with_dir(a.add_parser("merge", help="export base + adapter as one standalone model directory"))
    q.add_argument("name")
    q.add_argument("--out", required=True)

    q = with_dir(a.add_parser("eval", help="PubMedQA accuracy and citation rate, base or with an adapter"))
    q.add_argument("--adapter", dest="adapter_name", help="adapter name or directory (default: the base model)")
    q.add_argument("--pubmedqa", required=True, help="PubMedQA JSON (pqal format)")
    q.add_argument("--limit", type=int, default=0)
    q.add_argument("--max-new-tokens", type=int, default=0, help="default: the generator's setting")
    q.add_argument("--json", action="store_true")
    _split_arguments(q)


def _split_arguments(q: argparse.ArgumentParser) -> None:
    q.add_argument("--split", choices=SPLITS, default="all", help="deterministic split of the items (seed 0)")
    q.add_argument("--held-out", type=float, default=0.2, help="held-out share for --split")
    q.add_argument("--context-chars", type=int, default=0, help="truncate each abstract section (0 = keep)")
    q.add_argument("--answer-sentences", type=int, default=0, help="keep the long answer's first N sentences")


def run(args, settings: Settings) -> int:
    return _COMMANDS[args.adapters_command](args, settings)


def _pubmedqa_examples(args) -> list:
    from assistant.generation.adapters.data import (
        load_pubmedqa,
        pubmedqa_example,
        split_ids,
    )

    if not 0 < args.held_out < 1:
        raise AssistantError(f"--held-out: expected a share between 0 and 1, found {args.held_out}")
    items = load_pubmedqa(getattr(args, "input", None) or args.pubmedqa)
    train_ids, held_ids = split_ids(items, args.held_out, seed=0)
    ids = {"all": sorted(items), "train": train_ids, "held-out": held_ids}[args.split]
    return [pubmedqa_example(items[i], args.context_chars, args.answer_sentences) for i in ids]


def _convert(args, settings: Settings) -> int:
    from assistant.generation.adapters.data import write_examples

    n = write_examples(_pubmedqa_examples(args), args.out)
    print(f"{n} examples written to {args.out}")
    return 0


def _synthesize(args, settings: Settings) -> int:
    from assistant.generation.adapters.data import kb_chunks, synthesize, write_examples
    from assistant.ingest.kb import KnowledgeBase

    if args.contexts < 1:
        raise AssistantError(f"--contexts: expected 1 or more, found {args.contexts}")
    kb = KnowledgeBase(args.kb, settings)
    try:
        examples = synthesize(kb_chunks(kb), n_contexts=args.contexts, seed=args.seed)
    finally:
        kb.close()
    if not examples:
        raise AssistantError(f"knowledge base {args.kb}: expected chunks with text, found none to build examples from")
    n = write_examples(examples, args.out)
    print(f"{n} examples written to {args.out}")
    return 0


def _registry(args, settings: Settings):
    from assistant.generation.adapters.registry import AdapterRegistry, default_root

    return AdapterRegistry(args.dir or default_root(settings.generator))


def _train(args, settings: Settings) -> int:
    from assistant.generation.adapters.data import load_examples
    from assistant.generation.adapters.train import TrainConfig, train

    registry = _registry(args, settings)
    examples = load_examples(args.data)
    config = TrainConfig(base=args.base or settings.generator.model, rank=args.rank, alpha=2 * args.rank,
                         epochs=args.epochs, lr=args.lr, top_layers=args.top_layers, max_length=args.max_length,
                         max_steps=args.max_steps, seed=args.seed, domain=args.domain, name=args.name,
                         max_source_chars=settings.generator.max_source_chars, threads=settings.generator.threads,
                         cache_dir=settings.generator.cache_dir, extra={"data": args.data})
    meta = train(examples, registry.path_for(args.name), config, resume=args.resume,
                 log=lambda m: print(m, file=sys.stderr))
    if args.json:
        print(json.dumps(meta))
    else:
        ev = meta["eval"]
        print(f"adapter {meta['name']} ({meta['domain']}) saved to {registry.path_for(args.name)}: {meta['steps']} "
              f"steps, held-out loss {ev.get('adapter', {}).get('loss')} (base {ev.get('base', {}).get('loss')})")
    return 0


def _train_grounded(args, settings: Settings) -> int:
    from assistant.generation.adapters.card import write_card
    from assistant.generation.adapters.data import write_examples
    from assistant.generation.adapters.grounded import (
        build,
        by_source,
        source_counts,
        train_config,
    )
    from assistant.generation.adapters.registry import SHIPPED_ROOT
    from assistant.generation.adapters.train import train

    out = Path(args.out) if args.out else SHIPPED_ROOT / "grounded"
    sources = by_source()
    if args.sources:
        sources = _stage(sources, args.sources, args.replay)
    examples = build(sources=sources)
    if args.data_out:
        write_examples(examples, args.data_out)
    config = train_config(max_steps=args.max_steps, threads=settings.generator.threads,
                          cache_dir=settings.generator.cache_dir, init_from=args.init_from or "",
                          extra={"sources": source_counts(examples), "stage": vars(args).get("sources") or "all",
                                 "replay": args.replay})
    if not args.resume and (out / "adapter_config.json").is_file():
        shutil.rmtree(out)  # retraining replaces the shipped adapter; its card is rewritten below
    meta = train(examples, out, config, resume=args.resume, log=lambda m: print(m, file=sys.stderr))
    note = ""
    if args.init_from:
        first = json.loads((Path(args.init_from) / "adapter_meta.json").read_text(encoding="utf-8"))
        note = (f"Second stage: started from the weights of {args.init_from} ({first.get('steps')} steps on "
                f"{first.get('train_examples')} examples, data hash `{first.get('data_hash')}`, by kind "
                f"{json.dumps(first.get('config', {}).get('extra', {}).get('sources', {}))}).")
    card = write_card(out, meta, {name: len(group) for name, group in sources.items()}, note)
    print(f"grounded adapter saved to {out} ({meta['steps']} steps, held-out loss "
          f"{meta['eval'].get('adapter', {}).get('loss')} vs base {meta['eval'].get('base', {}).get('loss')}); "
          f"data card {card}")
    return 0


def _stage(sources: dict, names: str, replay: int) -> dict:
    """The named sources whole, plus `replay` examples drawn (seed 0) from the others."""
    import random

    wanted = [n.strip() for n in names.split(",") if n.strip()]
    unknown = [n for n in wanted if n not in sources]
    if unknown:
        raise AssistantError(f"--sources: expected names among {', '.join(sources)}, found {', '.join(unknown)}")
    others = [ex for name, group in sources.items() if name not in wanted for ex in group]
    kept = {name: sources[name] for name in wanted}
    if replay:
        kept["replay of the other sources"] = random.Random(0).sample(others, min(replay, len(others)))
    return kept


def _list(args, settings: Settings) -> int:
    infos = _registry(args, settings).list()
    if args.json:
        print(json.dumps([i.to_dict() for i in infos]))
    for info in [] if args.json else infos:
        print(f"{info.name}\t{info.domain or '-'}\t{info.meta.get('created', '?')}\t{info.path}")
    return 0


def _remove(args, settings: Settings) -> int:
    print(f"removed {_registry(args, settings).remove(args.name)}")
    return 0


def _merge(args, settings: Settings) -> int:
    out = _registry(args, settings).merge(args.name, args.out, settings.generator.cache_dir)
    print(f"merged model written to {out} (use it as generator.model)")
    return 0


def _eval(args, settings: Settings) -> int:
    from assistant.generation.adapters.evaluate import evaluate
    from assistant.generation.adapters.serving import AdapterGenerator

    examples = _pubmedqa_examples(args)[: args.limit or None]
    adapters, name = {}, None
    if args.adapter_name:
        info = _registry(args, settings).get(args.adapter_name)
        adapters, name = {info.name: info.path}, info.name
    # cli.main copies --adapter into generator.adapter; here it names a registry entry instead.
    config = replace(settings.generator, adapter=None)
    if args.max_new_tokens:
        config = replace(config, max_new_tokens=args.max_new_tokens)
    progress = None if args.json else (lambda i, n: print(f"\r{i}/{n}", end="", file=sys.stderr, flush=True))
    scores = evaluate(AdapterGenerator(adapters, config), examples, adapter=name, progress=progress)
    out = {"n": scores["n"], "accuracy": scores["accuracy"], "citation_rate": scores["citation_rate"]}
    print(json.dumps(out) if args.json else f"\nn={out['n']} accuracy={out['accuracy']:.3f} "
                                             f"citation_rate={out['citation_rate']:.3f}")
    return 0


_COMMANDS = {"convert-pubmedqa": _convert, "synthesize": _synthesize, "train": _train, "list": _list,
             "remove": _remove, "merge": _merge, "eval": _eval, "train-grounded": _train_grounded}
