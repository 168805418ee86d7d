"""The onnxruntime-genai decode loop (generation/ortgen.py) against torch's `model.generate`, with the real
bundled model and the shipped grounded-answer adapter."""

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from assistant.core.errors import ModelNotFoundError
from assistant.core.models import cached_bundled_model
from assistant.core.settings import GeneratorConfig
from assistant.generation.adapters.registry import SHIPPED_ROOT
from assistant.generation.constrain import CitationConstraint
from assistant.generation.factory import GROUNDED, make_generator
from assistant.generation.fastgen import FastDecoder
from assistant.generation.generator import TransformersGenerator, _Processor
from assistant.generation.ortgen import OrtDecoder, built_model
from tests.test_fastgen import MAX_NEW, PROMPTS

pytestmark = pytest.mark.slow
ADAPTER = SHIPPED_ROOT / GROUNDED
PASSAGES = (2, 2, 1)  # the numbered sources in each of test_fastgen's PROMPTS


@pytest.fixture(scope="module")
def torch_grounded():
    """The default pipeline's generator on torch's plain `generate` (the reference)."""
    g = make_generator(GeneratorConfig(fast=False, max_new_tokens=MAX_NEW))
    g.warm_up()
    return g


@pytest.fixture(scope="module")
def onnx_dir(torch_grounded):
    return built_model(torch_grounded._path, torch_grounded.config.cache_path(), ADAPTER)


def _ids(tok, messages):
    return tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)


def _plain(g, messages, constraint):
    inputs = _ids(g._tokenizer, messages)
    n = inputs["input_ids"].shape[1]
    with torch.inference_mode():
        out = g._model.generate(**inputs, max_new_tokens=MAX_NEW, do_sample=False, repetition_penalty=1.05,
                                pad_token_id=g._tokenizer.pad_token_id, logits_processor=[_Processor(constraint, n)])
    return out[0, n:].tolist()


def test_the_default_generator_runs_on_onnx_with_the_grounded_adapter(torch_grounded):
    g = make_generator(GeneratorConfig(max_new_tokens=MAX_NEW))
    assert g.config.runtime == "onnx" and g.config.adapter == GROUNDED
    for messages, passages in zip(PROMPTS, PASSAGES):
        assert g.complete(messages, passages=passages) == torch_grounded.complete(messages, passages=passages)
    assert isinstance(g._decoder, OrtDecoder) and g._model is None  # no torch weights loaded for answering
    pieces = list(g.stream(PROMPTS[0], passages=2))
    assert len(pieces) > 1 and "".join(pieces) == g.complete(PROMPTS[0], passages=2)
    assert 0 < g.last_timing.first_token_s <= g.last_timing.total_s
    samples = g.sample(PROMPTS[0], n=2, max_new_tokens=8)  # sampling loads the torch weights on first use
    assert len(samples) == 2 and g._model is not None


def test_greedy_ids_equal_torch_generate_with_drafts_and_constraint(torch_grounded, onnx_dir):
    tok = torch_grounded._tokenizer
    eos = (tok.eos_token_id,)
    plain_loop = OrtDecoder(onnx_dir, eos_token_ids=eos, lookahead=0)
    drafts = OrtDecoder(onnx_dir, eos_token_ids=eos, lookahead=8)
    accepted = 0
    for messages, passages in zip(PROMPTS, PASSAGES):
        expected = _plain(torch_grounded, messages, CitationConstraint(tok, passages, eos))
        for decoder in (plain_loop, drafts):
            ids = list(decoder.generate_ids(_ids(tok, messages)["input_ids"], max_new_tokens=MAX_NEW,
                                            repetition_penalty=1.05, constraint=CitationConstraint(tok, passages, eos)))
            assert ids == expected
        accepted += drafts.last.accepted
        assert drafts.last.accepted == len(expected) - 1 - drafts.last.steps
    assert accepted > 0  # grounded answers copy from their sources, so drafts are taken


def test_the_kept_state_reuses_a_shared_opening_with_identical_logits(torch_grounded, onnx_dir):
    tok = torch_grounded._tokenizer
    first, second = (_ids(tok, m)["input_ids"][0].tolist() for m in PROMPTS[:2])
    fresh = OrtDecoder(onnx_dir)
    kept = OrtDecoder(onnx_dir)
    kept._prefill(first, 4)
    reused_logits = kept._prefill(second, 4)
    system = len(tok.apply_chat_template(PROMPTS[1][:1], return_dict=True)["input_ids"])
    assert kept.last.reused_prefix_tokens >= system - 2  # the system block (its closing tokens may differ)
    assert np.array_equal(reused_logits, fresh._prefill(second, 4))  # appended in pieces: the same numbers
    # the same prompt again appends only its last token
    kept._prefill(second, 4)
    assert kept.last.reused_prefix_tokens == len(second) - 1


def test_stopping_early_leaves_the_state_usable(torch_grounded, onnx_dir):
    tok = torch_grounded._tokenizer
    decoder = OrtDecoder(onnx_dir, eos_token_ids=(tok.eos_token_id,), lookahead=8)
    ids = _ids(tok, PROMPTS[0])["input_ids"]
    whole = list(decoder.generate_ids(ids, max_new_tokens=MAX_NEW, repetition_penalty=1.05))
    stream = decoder.generate_ids(ids, max_new_tokens=MAX_NEW, repetition_penalty=1.05)
    next(stream), next(stream)
    stream.close()  # the caller stops reading (a closed HTTP stream)
    assert list(decoder.generate_ids(ids, max_new_tokens=MAX_NEW, repetition_penalty=1.05)) == whole
    with pytest.raises(ValueError, match="expected at least one prompt token"):
        next(decoder.generate_ids([], max_new_tokens=4))
    with pytest.raises(ValueError, match="the model's context holds"):  # refused before touching the state
        next(decoder.generate_ids([1] * 9000, max_new_tokens=4))
    assert list(decoder.generate_ids(ids, max_new_tokens=MAX_NEW, repetition_penalty=1.05)) == whole


def test_the_build_is_cached_and_keyed_by_the_adapter(torch_grounded, onnx_dir, tmp_path):
    stamp = json.loads((onnx_dir / "built-from.json").read_text())
    assert stamp["precision"] == "fp32" and len(stamp["adapter"]) == 64
    mtime = (onnx_dir / "model.onnx").stat().st_mtime_ns
    assert built_model(torch_grounded._path, torch_grounded.config.cache_path(), ADAPTER) == onnx_dir
    assert (onnx_dir / "model.onnx").stat().st_mtime_ns == mtime, "a cached build is reused, not rebuilt"
    base = built_model(torch_grounded._path, torch_grounded.config.cache_path())
    assert base != onnx_dir and "adapter" not in json.loads((base / "built-from.json").read_text())
    with pytest.raises(ModelNotFoundError, match="expected a Hugging Face model directory with config.json"):
        built_model(tmp_path, tmp_path / "cache")


def test_an_architecture_the_builder_cannot_export_falls_back_to_torch(tmp_path, caplog):
    """GPT-2 is not among onnxruntime-genai's builders: the generator says so and answers on torch."""
    from transformers import AutoTokenizer, GPT2Config, GPT2LMHeadModel

    torch.manual_seed(0)
    GPT2LMHeadModel(GPT2Config(n_layer=2, n_head=2, n_embd=64, vocab_size=49152, n_positions=1024)).save_pretrained(
        tmp_path / "gpt2")
    AutoTokenizer.from_pretrained(cached_bundled_model(GeneratorConfig().cache_path())).save_pretrained(tmp_path / "gpt2")
    g = TransformersGenerator(GeneratorConfig(model=str(tmp_path / "gpt2"), cache_dir=str(tmp_path / "cache"),
                                              max_new_tokens=5))
    with caplog.at_level(logging.WARNING):
        g.warm_up()
    assert isinstance(g._decoder, FastDecoder)
    assert "failed" in caplog.text and 'runtime = "torch"' in caplog.text and "torch path instead" in caplog.text
    assert isinstance(g.complete(PROMPTS[2]), str)
    assert not list((tmp_path / "cache" / "onnx").glob("*")), "a failed build leaves nothing behind"


def test_old_builds_are_dropped_least_recently_used_first(tmp_path, monkeypatch):
    from assistant.generation import ortgen

    monkeypatch.setattr(ortgen, "KEEP_BUILDS", 3)
    for age, name in enumerate(["newest", "recent", "old", "oldest"]):
        (tmp_path / name).mkdir()
        stamp = tmp_path / name / "built-from.json"
        stamp.write_text("{}")
        os.utime(stamp, (1e9 - age * 100, 1e9 - age * 100))
    (tmp_path / "just-built").mkdir()
    (tmp_path / "just-built" / "built-from.json").write_text("{}")
    (tmp_path / "not-a-build").mkdir()  # no stamp: not ours to remove
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / f"newest.tmp-{dead.stdout.strip()}").mkdir()  # a build whose process died half-way
    (tmp_path / f"newest.tmp-{os.getpid()}").mkdir()  # one still being written (this process)
    ortgen._prune(tmp_path, keep=tmp_path / "just-built")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["just-built", "newest", f"newest.tmp-{os.getpid()}",
                                                         "not-a-build", "recent"]


def test_two_processes_building_the_same_model_both_get_it(torch_grounded, tmp_path):
    code = ("import sys; from pathlib import Path; from assistant.generation.ortgen import built_model; "
            "print(built_model(Path(sys.argv[1]), Path(sys.argv[2])))")
    runs = [subprocess.Popen([sys.executable, "-c", code, str(torch_grounded._path), str(tmp_path)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err[-500:] for _, err in outputs]
    built = {out.strip() for out, _ in outputs}
    assert len(built) == 1 and (Path(built.pop()) / "model.onnx").is_file()
    assert [p.name for p in (tmp_path / "onnx").iterdir() if ".tmp-" in p.name] == []
