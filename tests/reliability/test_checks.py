from assistant.reliability import AnswerChecker, SupportScorer
from assistant.reliability.checks import NOT_FOUND
from assistant.settings import ReliabilityConfig
from assistant.types import Chunk, Hit

HITS = [
    Hit(Chunk("a#0", "a", "Invoices are payable within 45 days of receipt. Late payments accrue interest.", 0, 80,
              title="Services Agreement"), 0.9, 0.7),
    Hit(Chunk("b#0", "b", "Metformin can rarely cause lactic acidosis, a medical emergency.", 0, 60,
              title="Metformin"), 0.5, 0.4),
]


def checker(embedder, **kw):
    return AnswerChecker(SupportScorer(embedder), ReliabilityConfig(**kw))


def test_citations_are_mapped_corrected_and_renumbered(embedder):
    raw = ("Metformin can rarely cause lactic acidosis [2]. Invoices are payable within 45 days [2]. "
           "The moon is made of cheese [1].")
    r = checker(embedder).check("What does the agreement say about invoices and metformin?", raw, HITS)
    assert not r.abstained
    verdicts = [(s.verdict, s.citations, s.note) for s in r.sentences]
    assert verdicts[0] == ("supported", (1,), "")  # [2] renumbered to [1] by first use
    assert verdicts[1] == ("supported", (2,), "citation corrected by verifier")
    assert verdicts[2][0] == "unsupported" and verdicts[2][1] == ()
    assert [c.chunk.id for c in r.citations] == ["b#0", "a#0"]
    assert r.text.startswith("Metformin can rarely cause lactic acidosis [1].")
    assert 0 < r.confidence < 1


def test_drop_mode_removes_unsupported(embedder):
    r = checker(embedder, unsupported="drop").check(
        "invoices?", "Invoices are payable within 45 days [1]. The moon is made of cheese.", HITS)
    assert [s.verdict for s in r.sentences] == ["supported"]


def test_echoes_refusals_and_cut_off_tails_are_dropped_then_quote_fallback(embedder):
    raw = "When are invoices payable? The answer is not in the sources. Invoices are paid by"
    r = checker(embedder).check("When are invoices payable?", raw, HITS)
    assert len(r.sentences) == 1 and r.sentences[0].note == "quoted from source"
    assert r.sentences[0].text == "Invoices are payable within 45 days of receipt."
    assert r.citations[0].chunk.id == "a#0"


def test_abstains_when_nothing_is_supported_and_no_quote_is_close(embedder):
    r = checker(embedder).check("Who won the 2018 World Cup?", "France won it in Moscow.", HITS)
    assert r.abstained and r.text == NOT_FOUND and r.citations == [] and r.confidence == 0.0
