from dataclasses import replace

import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import RetrievalConfig, Settings


def test_defaults_are_valid():
    s = Settings()
    assert s.retrieval.top_k <= s.retrieval.candidates
    assert s.generator.model.startswith("bundled:")


def test_invalid_value_names_section_key_and_expectation():
    with pytest.raises(ConfigError, match=r"\[retrieval\] top_k: expected 1..50, found 0"):
        RetrievalConfig(top_k=0)


def test_toml_then_env_precedence(tmp_path):
    cfg = tmp_path / "a.toml"
    cfg.write_text('[retrieval]\ntop_k = 7\ncandidates = 70\n[generator]\nmax_new_tokens = 50\n')
    s = Settings.load(cfg, env={"ASSISTANT_RETRIEVAL_TOP_K": "9"})
    assert s.retrieval.top_k == 9 and s.retrieval.candidates == 70 and s.generator.max_new_tokens == 50


def test_unknown_key_and_bad_type_are_clear(tmp_path):
    cfg = tmp_path / "a.toml"
    cfg.write_text('[retrieval]\ntopk = 7\n')
    with pytest.raises(ConfigError, match="unknown keys"):
        Settings.load(cfg, env={})
    with pytest.raises(ConfigError, match="expected int, found 'many'"):
        Settings.load(None, env={"ASSISTANT_RETRIEVAL_TOP_K": "many"})
    with pytest.raises(ConfigError, match="not found"):
        Settings.load(tmp_path / "missing.toml", env={})


def test_with_overrides_validates():
    s = Settings().with_overrides("generator", adapter="/some/dir")
    assert s.generator.adapter == "/some/dir"
    with pytest.raises(ConfigError):
        Settings().with_overrides("reliability", unsupported="hide")


def test_toml_per_domain_chunking(tmp_path):
    cfg = tmp_path / "a.toml"
    cfg.write_text("[chunking]\nmax_chars = 500\n\n[chunking.domains.legal]\nmax_chars = 1000\n")
    chunking = Settings.load(cfg, env={}).chunking
    assert chunking.for_domain("legal").max_chars == 1000 and chunking.for_domain("healthcare").max_chars == 500


def test_retrieval_values_per_domain(tmp_path):
    from assistant.core.settings import FITTED_DOMAINS

    cfg = tmp_path / "r.toml"
    cfg.write_text("[retrieval]\ndense_weight = 0.6\n\n[retrieval.domains.legal]\nopening_weight = 1.5\n")
    retrieval = Settings.load(cfg, env={}).retrieval
    legal = retrieval.for_domain("legal")
    # fitted values first, the user's table on top; a domain without either keeps [retrieval]
    assert legal.dense_weight == FITTED_DOMAINS["legal"]["dense_weight"] and legal.opening_weight == 1.5
    assert retrieval.for_domain("finance").dense_weight == 0.6
    untuned = replace(retrieval, domain_tuning=False)
    assert untuned.for_domain("legal").dense_weight == 0.6 and untuned.for_domain("legal").opening_weight == 1.5


def test_retrieval_domain_table_errors_name_the_table(tmp_path):
    cfg = tmp_path / "r.toml"
    cfg.write_text("[retrieval.domains.legal]\ndense_weight = 3.0\n")
    with pytest.raises(ConfigError, match=r"retrieval\.domains\.legal.*dense_weight"):
        Settings.load(cfg, env={})
    cfg.write_text("[retrieval.domains.legal]\ntop_k = 3\n")
    with pytest.raises(ConfigError, match="top_k"):
        Settings.load(cfg, env={})


def test_generator_adapters_from_env_and_remote_auto_refused():
    s = Settings.load(env={"ASSISTANT_GENERATOR_ADAPTERS": "pubmedqa, contracts", "ASSISTANT_GENERATOR_ADAPTER": "auto"})
    assert s.generator.adapters == ("pubmedqa", "contracts") and s.generator.adapter == "auto"
    with pytest.raises(ConfigError, match="per-request 'auto'"):
        Settings.load(env={"ASSISTANT_GENERATOR_BACKEND": "openai", "ASSISTANT_GENERATOR_BASE_URL": "http://x/v1",
                           "ASSISTANT_GENERATOR_ADAPTER": "auto"})
