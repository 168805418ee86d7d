"""Output guard: PII masked in what is shown (unless allowed), domain notices kept apart from the text."""

import pytest

from assistant.core.errors import ConfigError
from assistant.core.settings import DEFAULT_NOTICES, ReliabilityConfig, Settings
from assistant.core.types import Answer, Chunk, Citation, Hit, SentenceCheck
from assistant.reliability.guard import OutputGuard

CASES = [  # answer sentence, what must not be shown, placeholder expected
    ("Jane Doe, MRN: 4471823, was seen on 3 May [1].", "4471823", "[MRN]"),
    ("Call the ward at (555) 123-4567 with questions [1].", "123-4567", "[PHONE]"),
    ("Send results to jane.doe@example.org [1].", "jane.doe@example.org", "[EMAIL]"),
    ("Dr. Alan Grant reviewed the scan [1].", "Alan Grant", "[NAME]"),
    ("Her date of birth: 04/12/1961 is on file [1].", "04/12/1961", "[DOB]"),
]


def _answer(text, domain="healthcare"):
    chunk = Chunk("c1", "d1", "source text", 0, 11, domain=domain)
    return Answer("q", text, [Citation(1, chunk)], [SentenceCheck(text, (1,), 0.9, "supported")], False, 0.9)


@pytest.mark.parametrize("text, secret, placeholder", CASES)
def test_pii_in_the_answer_and_its_sentences_is_masked(text, secret, placeholder):
    guarded = OutputGuard().apply(_answer(text))
    for shown in (guarded.text, guarded.sentences[0].text):
        assert secret not in shown and placeholder in shown, shown
    assert "[1]" in guarded.text  # citation markers survive masking


@pytest.mark.parametrize("text, secret, placeholder", CASES[:2])
def test_settings_can_allow_pii(text, secret, placeholder):
    guarded = OutputGuard(ReliabilityConfig(mask_pii=False)).apply(_answer(text))
    assert secret in guarded.text and placeholder not in guarded.text


def test_ordinary_answers_are_unchanged():
    text = "Take 500 mg twice daily with meals, per section 4.2 [1]. Invoices are due within 45 days [2]."
    assert OutputGuard().apply(_answer(text)).text == text


@pytest.mark.parametrize("domains, expected", [
    (["healthcare"], DEFAULT_NOTICES["healthcare"]),
    (["legal", "legal"], DEFAULT_NOTICES["legal"]),
    (["legal", "healthcare"], DEFAULT_NOTICES["legal"] + " " + DEFAULT_NOTICES["healthcare"]),
    (["finance"], ""),
    ([""], ""),
])
def test_notice_follows_the_cited_domains_and_stays_out_of_the_text(domains, expected):
    chunks = [Chunk(f"c{i}", "d", "t", 0, 1, domain=d) for i, d in enumerate(domains)]
    answer = Answer("q", "Text [1].", [Citation(i + 1, c) for i, c in enumerate(chunks)], [], False, 0.9)
    guarded = OutputGuard().apply(answer)
    assert guarded.notice == expected and guarded.text == "Text [1]."


def test_notice_falls_back_to_the_passages_seen_and_can_be_configured_or_off():
    answer = Answer("q", "Not found in the knowledge base.", [], [], True, 0.0)
    hit = Hit(Chunk("c", "d", "t", 0, 1, domain="legal"), 1.0)
    assert OutputGuard().apply(answer, [hit]).notice == DEFAULT_NOTICES["legal"]
    custom = ReliabilityConfig(notices={"legal": "Ask the firm's counsel.", "healthcare": ""})
    assert OutputGuard(custom).apply(answer, [hit]).notice == "Ask the firm's counsel."
    assert OutputGuard(ReliabilityConfig(notices={})).apply(answer, [hit]).notice == ""


def test_notices_and_escalation_settings_are_validated(tmp_path):
    with pytest.raises(ConfigError, match=r"\[reliability\] notices: expected a table"):
        ReliabilityConfig(notices={"legal": 3})
    with pytest.raises(ConfigError, match=r"\[reliability\] escalate_model: expected the served model name"):
        ReliabilityConfig(escalate=True, escalate_base_url="http://gpu:8000/v1")
    cfg = tmp_path / "a.toml"
    cfg.write_text('[reliability]\nmask_pii = false\n[reliability.notices]\nlegal = "Firm notice."\n')
    s = Settings.load(cfg, env={"ASSISTANT_RELIABILITY_AUDIT_QUESTIONS": "true"})
    assert s.reliability.notices == {"legal": "Firm notice."} and not s.reliability.mask_pii
    assert s.reliability.audit_questions and not s.reliability.escalate


def test_identifiers_found_in_the_passages_are_masked_where_the_answer_repeats_them():
    passage = "Discharge note.\nPatient: Jane Doe\nDischarged on metformin 500 mg twice daily."
    hit = Hit(Chunk("c1", "d1", passage, 0, len(passage), domain="healthcare"), 1.0)
    answer = Answer("q", "Jane Doe was discharged on metformin 500 mg [1].", [Citation(1, hit.chunk)],
                    [SentenceCheck("Jane Doe was discharged on metformin 500 mg.", (1,), 0.9, "supported")], False, 0.9)
    assert OutputGuard().mask(answer.text) == answer.text  # alone, the sentence gives no cue it is a name
    guarded = OutputGuard().apply(answer, [hit])
    assert guarded.text == "[NAME] was discharged on metformin 500 mg [1]."
    assert guarded.sentences[0].text.startswith("[NAME] was")
    assert OutputGuard(ReliabilityConfig(mask_pii=False)).apply(answer, [hit]).text == answer.text
