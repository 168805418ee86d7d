"""The fast decoding path against plain `model.generate`, with the real bundled model."""

import pytest
import torch

from assistant.core.errors import ConfigError
from assistant.core.models import cached_bundled_model
from assistant.core.settings import GeneratorConfig
from assistant.core.types import Chunk, Hit
from assistant.demo import CORPUS
from assistant.generation.fastgen import (
    FastDecoder,
    MergedModels,
    TextStream,
    apply_repetition_penalty,
    merge_adapter,
    prompt_lookup,
    quantize_int8,
)
from assistant.generation.generator import TransformersGenerator
from assistant.generation.prompting import build_messages

MAX_NEW = 40  # enough to cover the usual one-to-three-sentence answer, short enough for CI


def _hits(doc: str, title: str) -> list[Hit]:
    text = " ".join((CORPUS / doc).read_text(encoding="utf-8").split())
    return [Hit(Chunk(f"{doc}#{i}", doc, text[i * 500:(i + 1) * 500], 0, 500, title=title), 1.0) for i in range(2)]


PROMPTS = [
    build_messages("What is the main daily controller medicine for asthma?", _hits("health/asthma.md", "Asthma"), 600),
    build_messages("Who should not take metformin?", _hits("health/metformin.md", "Metformin"), 600),
    build_messages("When are invoices payable?",
                   [Hit(Chunk("a#0", "a", "Invoices are payable within 45 days of receipt.", 0, 48, title="MSA"), 1.0)], 600),
]


def test_config_validation():
    assert GeneratorConfig().fast and GeneratorConfig().quantize == "none"
    with pytest.raises(ConfigError, match=r"quantize: expected 'none' or 'int8' \(or 'int4' with runtime"):
        GeneratorConfig(runtime="torch", quantize="int4")
    with pytest.raises(ConfigError, match="fast: expected true when quantize"):
        GeneratorConfig(fast=False, quantize="int8")
    with pytest.raises(ConfigError, match="fast: expected true when quantize or prefix_cache"):
        GeneratorConfig(fast=False, prefix_cache=True)


def test_repetition_penalty_matches_transformers():
    from transformers.generation.logits_process import RepetitionPenaltyLogitsProcessor

    torch.manual_seed(0)
    logits = torch.randn(1, 500)
    seen = torch.randint(0, 500, (1, 80))  # duplicates included, as in real prompts
    expected = RepetitionPenaltyLogitsProcessor(1.05)(seen, logits.clone())
    assert torch.equal(apply_repetition_penalty(logits, seen, 1.05), expected)
    assert apply_repetition_penalty(logits, seen, 1.0) is logits


def test_prompt_lookup_proposes_what_followed_the_latest_match():
    #        0  1  2  3  4  5  6  7  8  9
    ids = [5, 6, 7, 8, 9, 5, 6, 1, 5, 6]
    assert prompt_lookup(ids, 3, min_ngram=2) == [1, 5, 6]  # latest earlier "5 6" is at 5..6, then 1 5 6
    assert prompt_lookup(ids + [7], 2, min_ngram=2) == [8, 9]  # "5 6 7" (longer n) matches at 0..2
    assert prompt_lookup([1, 2, 3, 4], 4, min_ngram=2) == []  # nothing repeats
    assert prompt_lookup([4, 4], 4, min_ngram=1) == [4]


def test_merge_and_quantize_refuse_the_wrong_model():
    with pytest.raises(TypeError, match="expected a peft PeftModel, found Linear"):
        merge_adapter(torch.nn.Linear(2, 2))


@pytest.fixture(scope="module")
def plain():
    g = TransformersGenerator(GeneratorConfig(fast=False, max_new_tokens=MAX_NEW))
    g.warm_up()
    return g


def _plain_ids(model, tok, messages, max_new=MAX_NEW, penalty=1.05) -> list[int]:
    inputs = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    with torch.inference_mode():
        out = model.generate(**inputs, max_new_tokens=max_new, do_sample=False, repetition_penalty=penalty,
                             pad_token_id=tok.pad_token_id)
    return out[0, inputs["input_ids"].shape[1]:].tolist()


def _fast_ids(decoder, tok, messages, max_new=MAX_NEW, penalty=1.05) -> list[int]:
    ids = tok.apply_chat_template(messages, add_generation_prompt=True, return_tensors="pt", return_dict=True)
    return list(decoder.generate_ids(ids["input_ids"], max_new_tokens=max_new, repetition_penalty=penalty))


@pytest.mark.slow
def test_fast_generator_text_equals_plain_generate(plain):
    fast = TransformersGenerator(GeneratorConfig(runtime="torch", max_new_tokens=MAX_NEW))
    for messages in PROMPTS:
        expected = plain.complete(messages)
        assert fast.complete(messages) == expected
        pieces = []
        for piece in fast.stream(messages):
            assert not torch.is_inference_mode_enabled(), "the caller's code between pieces runs normally"
            pieces.append(piece)
        assert len(pieces) > 1 and "".join(pieces) == expected
        timing = fast.last_timing
        assert 0 < timing.first_token_s <= timing.total_s and timing.new_tokens >= 1


@pytest.mark.slow
def test_token_ids_identical_without_penalty_and_after_eos(plain):
    decoder = FastDecoder(plain._model, eos_token_ids=[plain._tokenizer.eos_token_id])
    for messages in PROMPTS[:2]:
        expected = _plain_ids(plain._model, plain._tokenizer, messages, penalty=1.0)
        assert _fast_ids(decoder, plain._tokenizer, messages, penalty=1.0) == expected


@pytest.mark.slow
def test_prompt_lookup_keeps_the_greedy_text_in_fewer_steps(plain):
    tok = plain._tokenizer
    decoder = FastDecoder(plain._model, eos_token_ids=[tok.eos_token_id], lookahead=8)
    accepted = 0
    for messages in PROMPTS:
        expected = _plain_ids(plain._model, tok, messages)
        ids = _fast_ids(decoder, tok, messages)
        # Block forwards round differently from one-token ones (last float bits); the greedy ids hold here.
        assert ids == expected
        assert decoder.last.steps + 1 + 0 <= len(ids) and decoder.last.accepted == len(ids) - 1 - decoder.last.steps
        accepted += decoder.last.accepted
    assert accepted > 0  # the answers copy from their sources, so some drafts are taken


@pytest.mark.slow
def test_prefix_cache_reuses_the_system_block(plain):
    g = TransformersGenerator(GeneratorConfig(runtime="torch", max_new_tokens=MAX_NEW, prefix_cache=True))
    for messages in PROMPTS:
        text = g.complete(messages)
        assert g.last_timing.reused_prefix_tokens > 40  # the system prompt's tokens
        assert text == plain.complete(messages)  # exact up to ~1e-5 logit rounding; holds on these prompts


@pytest.mark.slow
def test_lora_adapter_fast_equals_plain_peft_generate(plain, tmp_path):
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM

    local = cached_bundled_model(plain.config.cache_path())
    model = AutoModelForCausalLM.from_pretrained(local)
    peft_model = get_peft_model(model, LoraConfig(r=8, target_modules=["q_proj", "v_proj", "up_proj"],
                                                  init_lora_weights=False))
    torch.manual_seed(0)
    with torch.no_grad():  # big enough to change the answer, so a dropped adapter would show
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.copy_(torch.randn_like(p) * 0.02)
    peft_model.save_pretrained(tmp_path / "adapter")
    peft_model = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(local), str(tmp_path / "adapter"))
    peft_model.eval()
    tok = plain._tokenizer
    unmerged = FastDecoder(peft_model, eos_token_ids=[tok.eos_token_id])
    merged = FastDecoder(merge_adapter(peft_model), eos_token_ids=[tok.eos_token_id])
    for messages in PROMPTS[:2]:
        expected = _plain_ids(peft_model, tok, messages)
        assert _fast_ids(unmerged, tok, messages) == expected  # same modules, same order: bit for bit
        assert _fast_ids(merged, tok, messages) == expected  # W+BA rounding differs; the greedy text does not here
    ids = tok.apply_chat_template(PROMPTS[0], add_generation_prompt=True, return_tensors="pt", return_dict=True)["input_ids"]
    with torch.inference_mode():  # a dropped adapter would leave the logits as they were
        assert (peft_model(ids).logits[0, -1] - plain._model(ids).logits[0, -1]).abs().max() > 0.1
        cache = MergedModels(plain._model)
        merged_model = cache.get(tmp_path / "adapter")
        assert cache.get(str(tmp_path / "adapter")) is merged_model and cache.get(None) is plain._model
        assert torch.equal(merged_model(ids).logits, merged.model(ids).logits)

    adapted = TransformersGenerator(GeneratorConfig(model=str(local), adapter=str(tmp_path / "adapter"),
                                                    max_new_tokens=MAX_NEW))
    assert adapted.complete(PROMPTS[0]) == tok.decode(_plain_ids(peft_model, tok, PROMPTS[0]),
                                                      skip_special_tokens=True).strip()


@pytest.mark.slow
def test_int8_path_answers(plain):
    model = quantize_int8(plain._model)
    assert type(model.model.layers[0].mlp.up_proj).__name__ == "Linear" and "quantized" in type(
        model.model.layers[0].mlp.up_proj).__module__
    g = TransformersGenerator(GeneratorConfig(runtime="torch", quantize="int8", max_new_tokens=MAX_NEW))
    pieces = list(g.stream(PROMPTS[0]))
    assert "".join(pieces) == g.complete(PROMPTS[0]) and pieces  # int8 may word it differently; it must answer


@pytest.mark.slow
def test_text_stream_holds_back_partial_characters(plain):
    tok = plain._tokenizer
    ids = tok("Fièvre — 38,5 °C 😷 done.  ", add_special_tokens=False)["input_ids"]
    stream = TextStream(lambda i: tok.decode(i, skip_special_tokens=True))
    pieces = [stream.push(t) for t in ids] + [stream.finish()]
    assert "\ufffd" not in "".join(pieces)
    assert "".join(pieces) == tok.decode(ids, skip_special_tokens=True).strip()
