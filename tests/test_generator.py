"""The generator with real weights: the bundled GGUF cache, a local HF directory, a PEFT adapter."""

import subprocess
import sys

import pytest

from assistant.core.errors import ModelNotFoundError
from assistant.core.models import cached_bundled_model
from assistant.core.settings import GeneratorConfig
from assistant.core.types import Chunk, Hit
from assistant.generation.generator import TransformersGenerator

pytestmark = pytest.mark.slow

HITS = [Hit(Chunk("a#0", "a", "Invoices are payable within 45 days of receipt.", 0, 48, title="MSA"), 1.0, 0.8)]


def test_conversion_is_cached_and_reused_by_new_processes(settings):
    target = cached_bundled_model(settings.generator.cache_path())  # converts on first use
    weights = target / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    code = ("from assistant.core.settings import GeneratorConfig as C; from assistant.generation.generator import "
            "TransformersGenerator; g=TransformersGenerator(C(runtime='torch')); g.warm_up();"
            "print(type(g._model).__name__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("ForCausalLM")
    assert weights.stat().st_mtime_ns == stamp, "a new process must load the cache, not convert again"


def test_local_directory_and_lora_adapter(settings, tmp_path):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import AutoModelForCausalLM

    local = cached_bundled_model(settings.generator.cache_path())  # any HF causal-LM directory works the same
    base = TransformersGenerator(GeneratorConfig(model=str(local), max_new_tokens=12))
    text = base.generate("When are invoices payable?", HITS)
    assert isinstance(text, str) and text

    model = AutoModelForCausalLM.from_pretrained(local)
    peft_model = get_peft_model(model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False))
    with torch.no_grad():  # make the adapter change the output, so we can tell it was applied
        for name, p in peft_model.named_parameters():
            if "lora_B" in name:
                p.add_(torch.randn_like(p) * 0.5)
    peft_model.save_pretrained(tmp_path / "adapter")
    adapted = TransformersGenerator(GeneratorConfig(model=str(local), adapter=str(tmp_path / "adapter"),
                                                    max_new_tokens=12))
    adapted_text = adapted.generate("When are invoices payable?", HITS)
    assert adapted_text != text
    # The same adapter by its name in the registry (`ask --adapter NAME`).
    cache = tmp_path / "cache"
    peft_model.save_pretrained(GeneratorConfig(cache_dir=str(cache)).cache_path() / "adapters" / "invoices")
    by_name = TransformersGenerator(GeneratorConfig(model=str(local), adapter="invoices", cache_dir=str(cache),
                                                    max_new_tokens=12))
    assert by_name.generate("When are invoices payable?", HITS) == adapted_text


def test_missing_model_and_adapter_are_clear(tmp_path):
    with pytest.raises(ModelNotFoundError, match="expected 'bundled:SmolLM2-135M-Instruct' or a local"):
        TransformersGenerator(GeneratorConfig(model=str(tmp_path))).warm_up()
    with pytest.raises(ModelNotFoundError, match="adapter_config.json"):
        TransformersGenerator(GeneratorConfig(adapter=str(tmp_path))).warm_up()



def test_unknown_adapter_name_says_where_it_looked(tmp_path):
    with pytest.raises(ModelNotFoundError, match=r"known: none"):
        TransformersGenerator(GeneratorConfig(adapter="pubmedqa", cache_dir=str(tmp_path))).warm_up()


@pytest.mark.slow
def test_the_shipped_grounded_adapter_is_the_default_and_answers_with_its_own_citation():
    """Loaded offline from the package (assistant/generation/adapters/shipped/grounded), with no adapter
    configured; the plain model stays one setting away."""
    from assistant.generation.adapters.data import context_hits
    from assistant.generation.factory import make_generator

    generator = make_generator(GeneratorConfig())
    assert generator.config.adapter == "grounded" and generator.name.endswith("+ grounded")
    assert make_generator(GeneratorConfig(adapter="base")).config.adapter is None
    assert make_generator(GeneratorConfig(grounded=False)).config.adapter is None
    pad = (" The parties agree that this section shall be read together with the remainder of this Agreement and "
           "that headings are for convenience only and shall not affect interpretation.")
    hits = context_hits(["Either party may terminate this Agreement on sixty (60) days' written notice." + pad,
                         "This Agreement shall be governed by the laws of the State of Delaware, without regard "
                         "to its conflict of laws principles." + pad,
                         "All notices shall be in writing and delivered by courier." + pad])
    text = generator.generate("What law governs this agreement?", hits)
    assert "Delaware" in text and "[2]" in text, text


def test_publishing_a_build_keeps_an_equal_one_already_there(tmp_path):
    """Two processes converting at once: the second keeps the first's published files (a process may be
    loading them) instead of deleting them; a stale build is replaced."""
    from assistant.core.models import publish

    target, mine = tmp_path / "model", tmp_path / "model.tmp-1"
    target.mkdir()
    (target / "weights").write_text("theirs")
    before = (target / "weights").stat().st_ino
    mine.mkdir()
    (mine / "weights").write_text("mine")
    publish(mine, target, current=lambda: True)
    assert (target / "weights").stat().st_ino == before and not mine.exists()
    mine.mkdir()
    (mine / "weights").write_text("mine")
    publish(mine, target, current=lambda: False)  # theirs is stale
    assert (target / "weights").read_text() == "mine" and not mine.exists()

