"""A quote answers a how quickly / how much / how many question only by stating that kind of value
(reliability/answer_type.py), and then may sit further from the question's wording."""

from assistant.core.settings import ReliabilityConfig
from assistant.core.types import Chunk, Hit, Locator
from assistant.reliability import AnswerChecker, SupportScorer
from assistant.reliability.answer_type import asked_value, carries


def test_questions_ask_for_a_time_an_amount_or_a_count():
    assert asked_value("How quickly must Bluebird tell the clinic about a personal data breach?") == "time"
    assert asked_value("When does this agreement end?") == "time"
    assert asked_value("How much paid vacation comes with the offer?") == "amount"
    assert asked_value("How many people at the clinic may use the software?") == "count"
    assert asked_value("What law governs this agreement?") == ""


def test_a_sentence_carries_the_kind_of_value_asked_for():
    assert carries("6.1 The Processor shall notify the Controller no later than 72 hours after becoming aware.", "time")
    assert carries("The obligations survive for three years after termination.", "time")
    assert carries("This Agreement shall continue until March 31, 2003.", "time")
    # its clause number is not a value
    assert not carries("6.2 A Security Incident notice must describe the nature of the incident.", "time")
    assert not carries("6.2 A Security Incident notice must describe the nature of the incident.", "count")
    assert carries("2.2 The Software may be used by up to 25 Named Users.", "count")
    assert not carries("2.2 The Software may be used by up to 25 Named Users.", "time")
    assert carries("Anything at all.", "")


def test_the_quote_for_a_how_quickly_question_states_a_time(embedder):
    text = ("6.1 The Processor shall notify the Controller of a Security Incident without undue delay and no later "
            "than 72 hours after becoming aware of it. 6.2 A Security Incident notice under this DPA must describe "
            "the nature of the incident and the categories of personal data concerned.")
    hits = [Hit(Chunk("dpa#2", "dpa", text, 900, 900 + len(text), Locator(section="Security Incidents"),
                      title="Data Processing Addendum"), 0.9, 0.42)]
    question = "How quickly must the processor tell the clinic about a security incident?"
    checker = AnswerChecker(SupportScorer(embedder), ReliabilityConfig())
    result = checker.check(question, "The sources do not answer this question.", hits)
    assert not result.abstained and "72 hours" in result.text, result.text
    assert result.sentences[-1].note == "quoted from source"
