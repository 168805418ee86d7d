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


def test_a_refusal_carries_no_notice_and_notices_can_be_configured_or_off():
    hits = [Hit(Chunk("c", "d", "t", 0, 1, domain="legal"), 1.0), Hit(Chunk("h", "e", "t", 0, 1, domain="healthcare"), 0.9)]
    refusal = Answer("q", "Not found in the knowledge base.", [], [], True, 0.0)
    assert OutputGuard().apply(refusal, hits).notice == ""
    answer = Answer("q", "Text [1].", [Citation(1, hits[0].chunk)], [], False, 0.9)
    assert OutputGuard().apply(answer, hits).notice == DEFAULT_NOTICES["legal"]  # the cited domain only
    custom = ReliabilityConfig(notices={"legal": "Ask the firm's counsel.", "healthcare": ""})
    assert OutputGuard(custom).apply(answer, hits).notice == "Ask the firm's counsel."
    assert OutputGuard(ReliabilityConfig(notices={})).apply(answer, hits).notice == ""


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


def _cited(answer_text: str, passage: str, domain: str) -> tuple[Answer, Hit]:
    hit = Hit(Chunk("c1", "d1", passage, 0, len(passage), domain=domain), 1.0)
    sentence = answer_text.replace(" [1]", "")
    return Answer("q", answer_text, [Citation(1, hit.chunk)], [SentenceCheck(sentence, (1,), 0.9, "supported")],
                  False, 0.9), hit


@pytest.mark.parametrize("answer_text, passage, domain", [
    # A contract's party, as a legal KB keeps it (legal documents are not redacted by default).
    ("The supplier is Alex Job Racing, Inc. [1].",
     "This Agreement is made between Alex Job Racing, Inc. (the Supplier) and\nMotorsport Holdings LLC.", "legal"),
    # A public helpline and a disease named after a physician, in a health leaflet.
    ("Call the helpline at 1-800-222-1222 [1].", "Poison control: call the helpline at 1-800-222-1222, any time.",
     "healthcare"),
    ("The disease is named after Dr. Hakaru Hashimoto [1].",
     "Hashimoto's disease is named after Dr. Hakaru Hashimoto, who described it in 1912.", "healthcare"),
    # What an unredacted passage holds is shown as it holds it, line breaks aside.
    ("Jane Doe was discharged on metformin 500 mg [1].",
     "Discharge note.\nPatient: Jane Doe\nDischarged on metformin 500 mg twice daily.", "healthcare"),
])
def test_text_the_cited_source_holds_is_shown_as_the_source_has_it(answer_text, passage, domain):
    answer, hit = _cited(answer_text, passage, domain)
    guarded = OutputGuard().apply(answer, [hit])
    assert guarded.text == answer_text and guarded.sentences[0].text == answer.sentences[0].text


def test_identifiers_the_generator_produced_that_no_source_holds_are_masked():
    answer, hit = _cited("Dr. Alan Grant prescribed metformin; call (555) 123-4567 [1].",
                         "Metformin 500 mg twice daily is the usual starting dose.", "healthcare")
    guarded = OutputGuard().apply(answer, [hit])
    assert "Alan Grant" not in guarded.text and "123-4567" not in guarded.text
    assert "[NAME]" in guarded.text and "[PHONE]" in guarded.text and guarded.text.endswith("[1].")
    # A name that is in the source keeps it; one beside it that is not is still masked.
    answer, hit = _cited("Dr. Alan Grant and Dr. Ellie Sattler reviewed it [1].",
                         "The scan was reviewed by Dr. Alan Grant.", "healthcare")
    shown = OutputGuard().apply(answer, [hit]).text
    assert "Alan Grant" in shown and "Ellie Sattler" not in shown and "[NAME]" in shown
    assert OutputGuard(ReliabilityConfig(mask_pii=False)).apply(answer, [hit]).text == answer.text
