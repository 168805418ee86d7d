import pytest

from assistant.core.settings import ChunkingConfig
from assistant.core.text import split_sentences
from assistant.core.types import Document, Locator
from assistant.ingest.chunking import SentenceChunker

DOC = """# Services Agreement

Intro paragraph about the parties. It has two sentences.

## 3. Fees and Payment

3.1 The Provider invoices monthly. 3.2 The Customer pays within 45 days of receipt.

## Side effects

Nausea is common. Diarrhoea is common too. Rarely, lactic acidosis occurs.
"""


def test_offsets_locators_and_sections():
    chunks = SentenceChunker().chunk(Document(id="sa", text=DOC, title="Services Agreement"))
    assert [c.id for c in chunks] == [f"sa#{i}" for i in range(len(chunks))]
    for c in chunks:
        assert DOC[c.start:c.end] == c.text
    labels = [c.locator.label() for c in chunks]
    assert "§ 3 · Fees and Payment" in labels and "Side effects" in labels
    fees = next(c for c in chunks if c.locator.clause == "3")
    assert "45 days" in fees.text and "Nausea" not in fees.text  # never crosses a section


def test_small_chunks_never_cut_sentences_and_overlap():
    text = " ".join(f"Sentence number {i} talks about topic {i}." for i in range(40))
    chunks = SentenceChunker(ChunkingConfig(max_chars=200, overlap_sentences=1)).chunk(Document(id="d", text=text))
    assert len(chunks) > 5
    sentences = set(split_sentences(text))
    for c in chunks:
        assert len(c.text) <= 200
        assert all(s in sentences for s in split_sentences(c.text))
    for a, b in zip(chunks, chunks[1:]):
        assert b.start < a.end  # one sentence of overlap


def test_overlong_sentence_is_split_at_spaces():
    text = "word " * 400
    chunks = SentenceChunker(ChunkingConfig(max_chars=300)).chunk(Document(id="d", text=text))
    assert all(len(c.text) <= 300 for c in chunks)
    assert "".join(c.text.replace("word", "") for c in chunks).strip() == ""


def test_numbered_headings_become_clauses_and_words_do_not():
    from assistant.ingest.chunking import _locator

    assert _locator("7. Governing Law", 2) == Locator(section="Governing Law", clause="7")
    assert _locator("Section 4 - Term", 2) == Locator(section="Term", clause="4")
    assert _locator("ARTICLE IV Remedies", 2) == Locator(section="Remedies", clause="IV")
    assert _locator("2.3 Fees", 3) == Locator(section="Fees", clause="2.3")
    assert _locator("Complications", 2) == Locator(section="Complications")
    assert _locator("Vitamin B12", 2) == Locator(section="Vitamin B12")
    assert _locator("C diff infection", 2) == Locator(section="C diff infection")
    assert _locator("IV. Remedies", 2) == Locator(section="Remedies", clause="IV")
    assert _locator("Intro", 1) == Locator()


def test_chunk_size_is_configurable_per_domain():
    from assistant.core.errors import ConfigError
    from assistant.core.settings import ChunkingConfig

    text = " ".join(f"Sentence number {i} carries a few words of content." for i in range(60))
    config = ChunkingConfig(max_chars=300, domains={"legal": {"max_chars": 1200}})
    chunker = SentenceChunker(config)
    legal = chunker.chunk(Document(id="l", text=text, domain="legal"))
    health = chunker.chunk(Document(id="h", text=text, domain="healthcare"))
    assert max(len(c.text) for c in legal) > 900 >= 300 >= max(len(c.text) for c in health)
    with pytest.raises(ConfigError, match="chunking.domains.legal"):
        ChunkingConfig(domains={"legal": {"max_size": 10}})
    with pytest.raises(ConfigError, match="max_chars"):
        ChunkingConfig(domains={"legal": {"max_chars": 5}})
