"""Filters and ACL applied inside the search: k permitted hits whenever k exist, never a forbidden one.

The corpus is synthetic (300 short documents from a fixed vocabulary) so the 1,000-query ACL check is
fast; every expectation is computed from the same definitions the documents were built from."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass

import numpy as np
import pytest

from assistant.cli.main import main
from assistant.core.errors import KnowledgeBaseError
from assistant.core.settings import RetrievalConfig
from assistant.core.types import Document, SearchFilter
from assistant.core.users import visible
from assistant.generation.generator import TransformersGenerator
from assistant.ingest.kb import KnowledgeBase
from assistant.pipeline import Assistant
from assistant.retrieval.retriever import HybridRetriever

VOCABULARY = """
contract lease tenant landlord deposit invoice payment termination notice liability indemnity warranty
license software vendor customer confidential disclosure arbitration court damages breach renewal audit
insurance premium claim patient clinic dosage tablet insulin glucose pressure asthma inhaler vaccine
influenza fever cough allergy antibiotic infection symptom therapy referral nurse physician pharmacy
prescription diagnosis record consent privacy hospital ward discharge appointment schedule budget salary
bonus employee overtime holiday pension retirement office equipment shipment warehouse delivery penalty
interest rate mortgage property boundary fence garden kitchen window repair plumber electricity heating
""".split()
N_DOCS = 300
# Per document i: ACL_CYCLE[i % 5]. A caller in group A sees positions 0, 2 and 4 of the cycle.
ACL_CYCLE: list[tuple[str, ...]] = [("A",), ("B",), (), ("B", "C"), ("A", "C")]


@dataclass(frozen=True)
class Spec:
    """What document i is, so tests can compute the expected permitted set without the KB."""

    id: str
    domain: str
    source: str
    acl: tuple[str, ...]
    format: str
    doc_type: str
    date: str | None


def spec(i: int) -> Spec:
    domain = ("legal", "healthcare")[i % 2]
    source = f"/corpus/{domain}/doc{i:03d}.txt" if i % 4 else f"sql:{domain}-records"
    date = None if i % 7 == 0 else f"{2015 + i % 10}-{1 + i % 12:02d}-{1 + i % 28:02d}"
    return Spec(id=f"doc{i:03d}", domain=domain, source=source, acl=ACL_CYCLE[i % 5],
                format=("pdf", "md", "txt")[i % 3], doc_type=("contract", "leaflet", "note")[i % 3], date=date)


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(10, 14))).capitalize() + "."


def corpus() -> tuple[list[Document], dict[str, Spec]]:
    rng = random.Random(7)
    docs, specs = [], {}
    for i in range(N_DOCS):
        s = spec(i)
        # Every seventh document is long enough for two chunks, so the key sets are not one per document.
        text = " ".join(sentence(rng) for _ in range(14 if i % 7 == 3 else 3))
        metadata = {"format": s.format, "doc_type": s.doc_type} | ({"date": s.date} if s.date else {})
        docs.append(Document(id=s.id, text=text, title=f"Record {i}", source=s.source, domain=s.domain,
                             acl=s.acl, metadata=metadata))
        specs[s.id] = s
    return docs, specs


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, settings, embedder) -> tuple[KnowledgeBase, dict[str, Spec], list[Document]]:
    kb = KnowledgeBase(tmp_path_factory.mktemp("acl") / "kb", settings, create=True, embedder=embedder)
    docs, specs = corpus()
    report = kb.ingest(docs)
    assert report.documents_added == N_DOCS and not report.errors
    yield kb, specs, docs
    kb.close()


def chunk_counts(kb: KnowledgeBase) -> dict[str, int]:
    return dict(kb.catalog.conn.execute("SELECT doc_id, count(*) FROM chunks GROUP BY doc_id"))


def random_queries(rng: random.Random, docs: list[Document], n: int) -> list[str]:
    """Sentences lifted from random documents (many from B's, so B's are often the best matches),
    bags of vocabulary words, and words no document holds."""
    out = []
    for _ in range(n):
        mode = rng.random()
        if mode < 0.5:
            doc = rng.choice(docs)
            out.append(rng.choice(doc.text.split(". ")))
        elif mode < 0.9:
            out.append(" ".join(rng.sample(VOCABULARY, rng.randint(1, 5))))
        else:
            out.append(f"zebra quokka {rng.choice(VOCABULARY)}")
    return out


def test_acl_1000_random_queries_by_group_a_never_see_b_and_get_k(mixed):
    kb, specs, docs = mixed
    retriever = HybridRetriever(kb)
    caller = SearchFilter(groups=("A",))
    permitted = {d for d, s in specs.items() if visible(s.acl, ("A",))}
    counts = chunk_counts(kb)
    assert sum(counts[d] for d in permitted) >= 10 and len(permitted) < N_DOCS  # both groups really mixed
    rng = random.Random(1000)
    queries = random_queries(rng, docs, 1000)
    ks = [rng.choice((1, 4, 10)) for _ in queries]
    seen = 0
    for start in range(0, len(queries), 100):
        batch, batch_k = queries[start:start + 100], ks[start:start + 100]
        for k in set(batch_k):
            picked = [q for q, qk in zip(batch, batch_k) if qk == k]
            for query, hits in zip(picked, retriever.search_many(picked, k, caller)):
                forbidden = [h.chunk.doc_id for h in hits if h.chunk.doc_id not in permitted]
                assert not forbidden, (query, forbidden)
                assert len(hits) == k, (query, k, len(hits))
                assert all(h.chunk.acl == specs[h.chunk.doc_id].acl for h in hits)
                seen += 1
    assert seen == 1000


def test_k_beyond_the_candidate_count_still_fills_with_permitted_hits(mixed):
    kb, specs, docs = mixed
    retriever = HybridRetriever(kb, RetrievalConfig(top_k=4, candidates=8))
    for groups in (("A",), ("B",), ()):
        permitted = {d for d, s in specs.items() if visible(s.acl, groups)}
        for query in random_queries(random.Random(len(groups)), docs, 20):
            hits = retriever.search(query, 25, SearchFilter(groups=groups))
            assert len(hits) == 25 and {h.chunk.doc_id for h in hits} <= permitted, (groups, query)


@pytest.mark.parametrize("groups", [("A",), ("B",), ("C",), ("A", "B"), (), ("nobody",), None])
def test_a_large_k_returns_exactly_the_permitted_chunks(mixed, groups):
    kb, specs, _ = mixed
    counts = chunk_counts(kb)
    permitted = {d for d, s in specs.items() if groups is None or visible(s.acl, groups)}
    hits = HybridRetriever(kb).search("tenant deposit insulin", 1000, SearchFilter(groups=groups))
    assert {h.chunk.doc_id for h in hits} == permitted
    assert len(hits) == sum(counts[d] for d in permitted)


def _dated(specs: dict[str, Spec], since: str | None, until: str | None) -> set[str]:
    # A bound compares at its own precision; a document without a date never passes a bound.
    return {d for d, s in specs.items() if s.date is not None
            and (since is None or s.date[:len(since)] >= since) and (until is None or s.date[:len(until)] <= until)}


FIELD_CASES = [
    ("domain", SearchFilter(domains=("legal",)), lambda s: s.domain == "legal"),
    ("domain, any case", SearchFilter(domains=("Healthcare",)), lambda s: s.domain == "healthcare"),
    ("exact source", SearchFilter(sources=("/corpus/legal/doc002.txt", "sql:healthcare-records")),
     lambda s: s.source in ("/corpus/legal/doc002.txt", "sql:healthcare-records")),
    ("source folder", SearchFilter(sources=("/corpus/healthcare/",)),
     lambda s: s.source.startswith("/corpus/healthcare/")),
    ("source prefix *", SearchFilter(sources=("sql:*",)), lambda s: s.source.startswith("sql:")),
    ("format", SearchFilter(doc_types=("PDF",)), lambda s: s.format == "pdf"),
    ("doc_type", SearchFilter(doc_types=("leaflet", "note")), lambda s: s.doc_type in ("leaflet", "note")),
    ("doc ids", SearchFilter(doc_ids=("doc001", "doc010", "doc299", "missing")),
     lambda s: s.id in ("doc001", "doc010", "doc299")),
    ("combined", SearchFilter(domains=("legal",), doc_types=("pdf",), date_from="2018", groups=("B",)),
     lambda s: s.domain == "legal" and s.format == "pdf" and s.date is not None and s.date >= "2018"
     and visible(s.acl, ("B",))),
]


@pytest.mark.parametrize("name, filters, keep", FIELD_CASES, ids=[c[0] for c in FIELD_CASES])
def test_each_filter_field(mixed, name, filters, keep):
    kb, specs, docs = mixed
    expected = {d for d, s in specs.items() if keep(s)}
    assert expected and len(expected) < N_DOCS
    retriever = HybridRetriever(kb)
    everything = retriever.search("payment schedule for the clinic", 1000, filters)
    assert {h.chunk.doc_id for h in everything} == expected, name
    counts = chunk_counts(kb)
    k = 5
    for query in random_queries(random.Random(5), docs, 10):
        hits = retriever.search(query, k, filters)
        assert {h.chunk.doc_id for h in hits} <= expected
        assert len(hits) == min(k, sum(counts[d] for d in expected))


@pytest.mark.parametrize("since, until", [("2018", None), (None, "2019"), ("2017-03", "2019-06"),
                                          ("2020-02-10", "2020-11-30"), ("2016-05-01T00:00", None)])
def test_date_range_compares_at_the_bound_precision(mixed, since, until):
    kb, specs, _ = mixed
    expected = _dated(specs, since, until)
    assert expected
    hits = HybridRetriever(kb).search("pension", 1000, SearchFilter(date_from=since, date_to=until))
    assert {h.chunk.doc_id for h in hits} == expected


def test_allowed_keys_is_none_without_a_filter_and_sorted_otherwise(mixed):
    kb, specs, _ = mixed
    assert kb.catalog.allowed_keys(None) is None
    assert kb.catalog.allowed_keys(SearchFilter()) is None
    keys = kb.catalog.allowed_keys(SearchFilter(groups=()))
    assert keys.dtype == np.int64 and np.all(np.diff(keys) > 0)
    public = {d for d, s in specs.items() if not s.acl}
    assert set(kb.catalog.chunks(keys.tolist())[k].doc_id for k in keys.tolist()) == public
    assert kb.catalog.allowed_keys(SearchFilter(groups=["A"])).tolist() == \
        kb.catalog.allowed_keys(SearchFilter(groups=("A",))).tolist()  # lists are accepted too


def test_filter_mistakes_are_explained(mixed):
    kb, _, _ = mixed
    with pytest.raises(KnowledgeBaseError, match="not an ISO date.*expected YYYY"):
        HybridRetriever(kb).search("fever", 3, SearchFilter(date_from="last week"))
    with pytest.raises(KnowledgeBaseError, match=r"groups=\('nurses',\)"):
        HybridRetriever(kb).search("fever", 3, SearchFilter(groups="nurses"))


def test_sparse_search_fills_k_from_permitted_rows_when_forbidden_ones_rank_higher(new_kb):
    kb = new_kb()
    # 50 forbidden documents repeat the rare word and outrank the five permitted ones for BM25.
    forbidden = [Document(id=f"b{i}", text=f"Zylophant zylophant zylophant batch {i}.", acl=("B",)) for i in range(50)]
    allowed = [Document(id=f"a{i}", text=f"A long note on many things, once naming a zylophant, part {i}.",
                        acl=("A",)) for i in range(5)]
    kb.ingest(forbidden + allowed)
    keys = kb.catalog.allowed_keys(SearchFilter(groups=("A",)))
    unfiltered = kb.catalog.sparse.search("zylophant", 40)
    assert len(unfiltered) == 40 and not set(k for k, _ in unfiltered) & set(keys.tolist())
    sparse = kb.catalog.sparse.search("zylophant", 5, keys)
    assert sorted(k for k, _ in sparse) == keys.tolist()
    assert kb.catalog.sparse.search_many(["zylophant", "nothing"], 5, keys[:0]) == [[], []]
    narrow = HybridRetriever(kb, RetrievalConfig(top_k=4, candidates=4))
    hits = narrow.search("zylophant", 5, SearchFilter(groups=("A",)))
    assert sorted(h.chunk.doc_id for h in hits) == [f"a{i}" for i in range(5)]
    assert all(h.scores["bm25"] > 0 for h in hits)


def test_acl_change_takes_effect_at_once_in_this_and_other_processes(new_kb, settings, embedder):
    kb = new_kb()
    kb.ingest([Document(id="memo", text="The merger closes on the first of June.", acl=("board",)),
               Document(id="menu", text="The canteen serves soup on Mondays.")])
    staff = SearchFilter(groups=("staff",))
    other = KnowledgeBase(kb.path, settings, embedder=embedder)  # a second connection, like another process
    for reader in (kb, other):
        assert [h.chunk.doc_id for h in HybridRetriever(reader).search("merger", 5, staff)] == ["menu"]
    kb.ingest([Document(id="memo", text="The merger closes on the first of June.", acl=("board", "staff"))])
    for reader in (kb, other):
        # `other` still holds the dense index it loaded; BM25 finds the re-ingested memo all the same.
        assert {h.chunk.doc_id for h in HybridRetriever(reader).search("merger", 5, staff)} == {"memo", "menu"}
    kb.ingest([Document(id="memo", text="The merger closes on the first of June.", acl=("board",))])
    for reader in (kb, other):
        assert [h.chunk.doc_id for h in HybridRetriever(reader).search("merger", 5, staff)] == ["menu"]
    other.close()


def test_a_caller_who_may_see_nothing_gets_nothing(mixed):
    kb, _, _ = mixed
    hits = HybridRetriever(kb).search_many(["tenant", "insulin"], 4, SearchFilter(doc_ids=("doc001",), groups=("A",)))
    assert hits == [[], []]  # doc001 belongs to group B alone


RECORDS = [
    {"id": "hr/nurses", "text": "Nurses accrue two days of annual leave per month.", "acl": ["nurses"],
     "domain": "healthcare", "source": "wiki/hr/nurses", "date": "2024-02-01", "doc_type": "policy"},
    {"id": "hr/doctors", "text": "Physicians accrue three days of annual leave per month.", "acl": ["doctors"],
     "domain": "healthcare", "source": "wiki/hr/doctors", "date": "2023-05-01", "doc_type": "policy"},
    {"id": "hr/holidays", "text": "Annual leave requests go to the ward manager two weeks ahead.",
     "domain": "healthcare", "source": "wiki/hr/holidays", "date": "2024-06-01", "doc_type": "guide"},
    {"id": "legal/lease", "text": "Annual rent rises by three percent; the tenant gives ninety days notice.",
     "acl": ["legal"], "domain": "legal", "source": "sql:contracts", "date": "2022-01-01", "doc_type": "contract"},
]


def test_cli_filter_flags(tmp_path, capsys):
    records = tmp_path / "records.jsonl"
    records.write_text("\n".join(json.dumps(r) for r in RECORDS) + "\n", encoding="utf-8")
    kb = tmp_path / "kb"
    assert main(["ingest", str(records), "--kb", str(kb), "--json"]) == 0
    capsys.readouterr()

    def found(*flags: str) -> set[str]:
        assert main(["search", "annual leave per month", "--kb", str(kb), "-k", "10", "--json", *flags]) == 0
        return {h["doc_id"] for h in json.loads(capsys.readouterr().out)["hits"]}

    assert found() == {r["id"] for r in RECORDS}  # no flag: a trusted local caller, no ACL check
    assert found("--group", "nurses") == {"hr/nurses", "hr/holidays"}
    assert found("--group", "nurses", "--group", "legal") == {"hr/nurses", "hr/holidays", "legal/lease"}
    assert found("--public-only") == {"hr/holidays"}
    assert found("--domain", "legal") == {"legal/lease"}
    assert found("--source", "wiki/hr/", "--group", "doctors") == {"hr/doctors", "hr/holidays"}
    assert found("--source", "sql:contracts") == {"legal/lease"}
    assert found("--doc-type", "policy", "--since", "2024") == {"hr/nurses"}
    assert found("--until", "2023-05") == {"hr/doctors", "legal/lease"}

    queries = tmp_path / "q.jsonl"
    queries.write_text('{"id": "a", "query": "annual leave"}\n{"id": "b", "query": "tenant notice"}\n')
    assert main(["search", "--queries", str(queries), "--kb", str(kb), "-k", "3", "--group", "doctors"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [len(line["hits"]) for line in lines] == [2, 2]
    assert all(h["doc_id"] in {"hr/doctors", "hr/holidays"} for line in lines for h in line["hits"])

    assert main(["search", "leave", "--kb", str(kb), "--since", "last week"]) == 2
    assert "--since expects an ISO date" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["search", "leave", "--kb", str(kb), "--group", "a", "--public-only"])
    assert exc.value.code == 2


@pytest.mark.slow
def test_ask_never_gives_the_generator_a_forbidden_passage(new_kb, settings, capsys):
    class Recording(TransformersGenerator):
        """The real generator, noting which documents' passages it was given."""

        def __init__(self) -> None:
            super().__init__(settings.generator)
            self.seen: set[str] = set()

        def generate(self, question, hits):
            self.seen |= {h.chunk.doc_id for h in hits}
            return super().generate(question, hits)

    kb = new_kb()
    kb.ingest([
        Document(id="bonus/a", acl=("A",), text="Cardiology staff receive a quarterly bonus of 900 dollars."),
        Document(id="bonus/b", acl=("B",), text="Cardiology staff receive a quarterly bonus of 1200 dollars."),
        Document(id="bonus/when", text="Quarterly bonuses are paid with the March and September salaries."),
    ])
    generator = Recording()
    assistant = Assistant(kb, generator)
    question = "What quarterly bonus do cardiology staff receive?"
    for groups, permitted in ((("A",), {"bonus/a", "bonus/when"}), ((), {"bonus/when"})):
        generator.seen.clear()
        answer = assistant.ask(question, SearchFilter(groups=groups))
        assert generator.seen <= permitted, groups
        assert "bonus/a" in generator.seen or not groups  # group A's own passage did reach it
        shown = {c.chunk.doc_id for c in answer.citations} | {h.chunk.doc_id for h in answer.closest}
        assert shown <= permitted and "1200" not in answer.text, (groups, answer.text)
    assert assistant.search(question, 5, SearchFilter(groups=("B",)))[0].chunk.doc_id == "bonus/b"

    assert main(["ask", question, "--kb", str(kb.path), "--group", "A", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    shown = {c["doc_id"] for c in answer["citations"]} | {h["doc_id"] for h in answer["closest"]}
    assert shown and shown <= {"bonus/a", "bonus/when"} and "1200" not in answer["answer"]
