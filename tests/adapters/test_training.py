"""Training, merging, saving and serving with the real bundled model. Tiny data and a few steps at a
high learning rate: enough to move the weights measurably, cheap enough for CPU test runs."""

import json

import pytest
import torch

from assistant.cli.main import main
from assistant.core.settings import GeneratorConfig
from assistant.core.types import Chunk, Hit
from assistant.generation.adapters.base import load_base, prompt_ids, prompt_messages
from assistant.generation.adapters.data import load_examples
from assistant.generation.adapters.registry import AdapterRegistry
from assistant.generation.adapters.serving import AdapterGenerator
from assistant.generation.adapters.train import (
    METADATA,
    TrainConfig,
    TrainingError,
    train,
)
from assistant.generation.generator import TransformersGenerator
from tests.adapters.fixtures import marker_examples, write_jsonl, write_pubmedqa

pytestmark = pytest.mark.slow

QUESTION, CONTEXTS = "What about invoices?", ("The invoices rule is short.", "Nothing on invoices here.")
FAST = dict(rank=4, alpha=16, lr=1e-2, grad_accum=1, epochs=2, max_steps=6, max_length=256, threads=2)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    """Two adapters trained on answers that start with different words, in a registry of their own."""
    root = tmp_path_factory.mktemp("adapters")
    data = tmp_path_factory.mktemp("data")
    for word, domain in (("Alpha", "legal"), ("Beta", "healthcare")):
        examples = load_examples(write_jsonl(data / f"{word}.jsonl", marker_examples(word)))
        meta = train(examples, root / word.lower(), TrainConfig(domain=domain, name=word.lower(), **FAST),
                     progress=False)
        assert meta["steps"] == 6 and meta["domain"] == domain
    return AdapterRegistry(root)


def _logits(model, tokenizer):
    ids = prompt_ids(tokenizer, prompt_messages(QUESTION, CONTEXTS, 600))
    with torch.inference_mode():
        return model(input_ids=torch.tensor([ids])).logits[0, -5:]


def test_metadata_records_base_domain_data_and_scores(registry):
    meta = json.loads((registry.path_for("alpha") / METADATA).read_text())
    assert meta["base_model"] == "bundled:SmolLM2-135M-Instruct" and meta["domain"] == "legal"
    assert len(meta["data_hash"]) == 16 and meta["created"]
    assert (registry.path_for("alpha") / "adapter_model.safetensors").is_file()
    assert [a.name for a in registry.list()] == ["alpha", "beta"]


def test_adapter_changes_logits_and_merge_matches_unmerged(registry, tmp_path):
    from peft import PeftModel

    tokenizer, base = load_base()
    before = _logits(base, tokenizer)
    peft_model = PeftModel.from_pretrained(base, str(registry.path_for("alpha")))
    unmerged = _logits(peft_model, tokenizer)
    assert not torch.allclose(before, unmerged, atol=1e-3)  # training moved the model

    merged_dir = registry.merge("alpha", tmp_path / "merged")
    assert (merged_dir / "config.json").is_file() and not (merged_dir / "adapter_config.json").exists()
    merged_tok, merged = load_base(str(merged_dir))
    assert torch.allclose(_logits(merged, merged_tok), unmerged, atol=1e-4)


def test_save_load_round_trip_gives_identical_greedy_output(registry, tmp_path):
    from peft import PeftModel

    _, base = load_base()
    PeftModel.from_pretrained(base, str(registry.path_for("beta"))).save_pretrained(tmp_path / "copy")
    hits = [Hit(Chunk(f"c{i}", f"c{i}", t, 0, len(t)), 1.0) for i, t in enumerate(CONTEXTS)]
    outputs = [TransformersGenerator(GeneratorConfig(adapter=str(p), max_new_tokens=12)).generate(QUESTION, hits)
               for p in (registry.path_for("beta"), tmp_path / "copy")]
    assert outputs[0] == outputs[1] and outputs[0].startswith("Beta")


def test_two_adapters_served_alternately_without_reloading(registry, monkeypatch):
    from transformers import AutoModelForCausalLM

    gen = AdapterGenerator.from_registry(registry, config=GeneratorConfig(max_new_tokens=8))
    gen.warm_up()
    model = gen.model
    loads = []
    original = AutoModelForCausalLM.from_pretrained
    monkeypatch.setattr(AutoModelForCausalLM, "from_pretrained",
                        lambda *a, **k: loads.append(a) or original(*a, **k))
    hits = [Hit(Chunk(f"c{i}", f"c{i}", t, 0, len(t), domain="healthcare"), 1.0) for i, t in enumerate(CONTEXTS)]
    answers = [gen.generate(QUESTION, hits, adapter=name) for name in ("alpha", "beta", "alpha", "beta", None)]
    assert answers[0] == answers[2] and answers[0].startswith("Alpha")
    assert answers[1] == answers[3] and answers[1].startswith("Beta")
    assert not answers[4].startswith(("Alpha", "Beta"))  # None = the untouched base model
    assert gen.generate(QUESTION, hits, adapter="auto") == answers[1]  # healthcare hits → the healthcare adapter
    assert loads == [] and gen.base_loads == 1 and gen.model is model


def test_cli_eval_json_shape_and_registry_commands(registry, tmp_path, capsys):
    src = write_pubmedqa(tmp_path / "p.json")
    root = str(registry.root)
    assert main(["adapters", "eval", "--adapter", "alpha", "--dir", root, "--pubmedqa", str(src), "--json",
                 "--limit", "2", "--max-new-tokens", "6"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"n", "accuracy", "citation_rate"} and out["n"] == 2
    assert 0 <= out["accuracy"] <= 1 and 0 <= out["citation_rate"] <= 1
    assert main(["adapters", "list", "--dir", root, "--json"]) == 0
    assert {a["name"] for a in json.loads(capsys.readouterr().out)} >= {"alpha", "beta"}
    assert main(["adapters", "eval", "--adapter", "nope", "--dir", root, "--pubmedqa", str(src)]) == 2
    assert "known: alpha, beta" in capsys.readouterr().err


def test_resume_continues_from_a_checkpoint_and_refuses_overwrite(registry, tmp_path):
    examples = load_examples(write_jsonl(tmp_path / "d.jsonl", marker_examples("Alpha")))
    with pytest.raises(TrainingError, match="already holds a trained adapter"):
        train(examples, registry.path_for("alpha"), TrainConfig(**FAST), progress=False)
    with pytest.raises(TrainingError, match="expected a checkpoint"):
        train(examples, tmp_path / "fresh", TrainConfig(**FAST), resume=True, progress=False)
    # An interrupted run: stop after step 3 of 6 (KeyboardInterrupt from the logger-free progress hook).
    out = tmp_path / "interrupted"
    config = TrainConfig(**{**FAST, "save_every": 3})
    with pytest.raises(KeyboardInterrupt):
        train(examples, out, config, progress=False, stop_after=4)
    assert (out / "checkpoint" / "state.pt").is_file()
    meta = train(examples, out, config, resume=True, progress=False)
    assert meta["steps"] == 6 and not (out / "checkpoint").exists()
    assert json.loads((registry.path_for("alpha") / METADATA).read_text())["config"]["seed"] == 0


def test_adapters_are_served_by_name_over_the_openai_api(registry, http_server):
    openai = pytest.importorskip("openai")
    from assistant.apps.model_server import LocalChatModel, create_app
    from assistant.generation.prompting import build_messages

    gen = AdapterGenerator.from_registry(registry, config=GeneratorConfig(max_new_tokens=8))
    url = http_server(create_app(LocalChatModel(gen))) + "/v1"
    client = openai.OpenAI(base_url=url, api_key="unused")
    assert {m.id for m in client.models.list()} >= {"alpha", "beta", gen.config.model}
    hits = [Hit(Chunk(f"c{i}", f"c{i}", t, 0, len(t), domain="healthcare"), 1.0) for i, t in enumerate(CONTEXTS)]
    messages = build_messages(QUESTION, hits, gen.config.max_source_chars)
    for name, word in (("alpha", "Alpha"), ("beta", "Beta"), ("alpha", "Alpha")):
        text = client.chat.completions.create(model=name, messages=messages).choices[0].message.content
        assert text.startswith(word) and text == gen.complete(messages, adapter=name)
        streamed = client.chat.completions.create(model=name, messages=messages, stream=True)
        assert "".join(e.choices[0].delta.content or "" for e in streamed if e.choices) == text
    assert gen.base_loads == 1


def test_pipeline_picks_the_adapter_by_domain_or_by_request(registry, demo_kb, demo_questions):
    from assistant.core.errors import AssistantError
    from assistant.generation.factory import make_generator
    from assistant.pipeline import Assistant

    dirs = tuple(str(registry.path_for(n)) for n in ("alpha", "beta"))
    generator = make_generator(GeneratorConfig(adapter="auto", adapters=dirs, max_new_tokens=8))
    assert isinstance(generator, AdapterGenerator) and generator.base_loads == 0  # constructing loads nothing
    assistant = Assistant(demo_kb, generator)
    assert assistant.adapter_choices() == ["alpha", "beta"]
    legal = next(q["question"] for q in demo_questions if q.get("expected_doc", "").startswith("legal/"))
    health = next(q["question"] for q in demo_questions if q.get("expected_doc", "").startswith("health/"))
    assert assistant.ask(legal).adapter == "alpha"  # legal hits → the adapter trained for "legal"
    assert assistant.ask(health).adapter == "beta"
    assert assistant.ask(health, adapter="alpha").adapter == "alpha"  # the request overrides the domain
    assert assistant.ask(health, adapter="base").adapter is None
    with pytest.raises(AssistantError, match="expected one of \\['alpha', 'beta'\\]"):
        assistant.ask(health, adapter="gamma")
    assert generator.base_loads == 1


def test_single_adapter_generator_refuses_a_per_request_switch(registry):
    from assistant.core.errors import AssistantError

    gen = TransformersGenerator(GeneratorConfig(adapter=str(registry.path_for("alpha"))))
    assert gen.resolve_adapter(None, []) == gen.resolve_adapter("auto", []) == str(registry.path_for("alpha"))
    with pytest.raises(AssistantError, match="\\[generator\\] adapters"):
        gen.resolve_adapter("beta", [])
    with pytest.raises(AssistantError, match="reserved"):
        registry.path_for("auto")


def test_web_page_offers_the_loaded_adapters(registry, demo_kb):
    from assistant.apps.web import build_app
    from assistant.pipeline import Assistant

    def dropdown(assistant):
        app = build_app(assistant)
        return next(c["props"] for c in app.config["components"] if c["props"].get("elem_id") == "adapter")

    gen = AdapterGenerator.from_registry(registry, config=GeneratorConfig(max_new_tokens=8))
    props = dropdown(Assistant(demo_kb, gen))
    assert props["visible"] and props["value"] == "auto"
    assert [v for _, v in props["choices"]] == ["auto", "base", "alpha", "beta"]
    assert not dropdown(Assistant(demo_kb, TransformersGenerator(GeneratorConfig())))["visible"]  # one model: no choice


def test_cli_remove(registry, capsys):
    root = str(registry.root)
    # removal runs last in this module (pytest keeps file order)
    assert main(["adapters", "remove", "beta", "--dir", root]) == 0
    assert [a.name for a in registry.list()] == ["alpha"]
