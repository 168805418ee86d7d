"""KnowledgeBaseRetriever inside real LangChain runnables: invoke, batch, async, callbacks, filters."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.documents import Document as LCDocument
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import (
    RunnableLambda,
    RunnableParallel,
    RunnablePassthrough,
)
from pydantic import ValidationError

from assistant.core.errors import AssistantError
from assistant.core.types import Document, SearchFilter
from assistant.ingest.kb import KnowledgeBase
from assistant.retrieval.langchain_retriever import KnowledgeBaseRetriever

DOCS = [
    Document(id="leave/nurses", title="Nurse leave policy", domain="healthcare", acl=("nurses",),
             text="Nurses accrue two days of annual leave per month worked on the ward.",
             metadata={"date": "2024-02-01", "format": "md"}),
    Document(id="leave/doctors", title="Physician leave policy", domain="healthcare", acl=("doctors",),
             text="Physicians accrue three days of annual leave per month and ten study days per year.",
             metadata={"date": "2023-06-01", "format": "pdf"}),
    Document(id="leave/public", title="Public holidays", domain="healthcare",
             text="The hospital observes eleven public holidays; annual leave requests go to the ward manager.",
             metadata={"date": "2024-01-10", "format": "md"}),
    Document(id="contract/lease", title="Clinic lease", domain="legal", acl=("legal",),
             text="The tenant shall give ninety days notice before terminating the clinic lease.",
             metadata={"date": "2022-09-30", "doc_type": "contract"}),
    Document(id="contract/cleaning", title="Cleaning services agreement", domain="legal",
             text="The contractor cleans the wards daily; either party may terminate with thirty days notice.",
             metadata={"date": "2024-03-05", "doc_type": "contract"}),
]
ANNUAL_LEAVE = "How much annual leave do staff accrue?"


@pytest.fixture(scope="module")
def kb(tmp_path_factory, settings, embedder) -> KnowledgeBase:
    kb = KnowledgeBase(tmp_path_factory.mktemp("lc") / "kb", settings, create=True, embedder=embedder)
    assert kb.ingest(DOCS).documents_added == len(DOCS)
    yield kb
    kb.close()


def format_docs(docs: list[LCDocument]) -> str:
    return "\n\n".join(f"[{d.metadata['doc_id']}] {d.page_content}" for d in docs)


def cited(text: str) -> set[str]:
    return {d.id for d in DOCS if f"[{d.id}]" in text}


def test_is_a_langchain_retriever_returning_documents_with_provenance(kb):
    retriever = KnowledgeBaseRetriever(kb=kb, k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke(ANNUAL_LEAVE)
    assert len(docs) == 3 and all(isinstance(d, LCDocument) for d in docs)
    first = docs[0]
    assert set(first.metadata) >= {"doc_id", "chunk_id", "title", "locator", "score", "relevance", "domain",
                                   "start", "end"}
    source = next(d for d in DOCS if d.id == first.metadata["doc_id"])
    assert first.page_content in source.text and first.metadata["title"] == source.title
    assert first.id == first.metadata["chunk_id"]
    scores = [d.metadata["score"] for d in docs]
    assert scores == sorted(scores, reverse=True)


def test_retriever_piped_into_a_formatting_runnable_respects_groups(kb):
    for groups, allowed in ((("nurses",), {"leave/nurses", "leave/public", "contract/cleaning"}),
                            ((), {"leave/public", "contract/cleaning"}),
                            (("doctors", "legal"), {d.id for d in DOCS} - {"leave/nurses"})):
        chain = KnowledgeBaseRetriever(kb=kb, k=5, filters=SearchFilter(groups=groups)) | RunnableLambda(format_docs)
        text = chain.invoke(ANNUAL_LEAVE)
        assert isinstance(text, str) and cited(text) == allowed, groups


def test_rag_prompt_chain_invoke_and_batch(kb):
    retriever = KnowledgeBaseRetriever(kb=kb, k=2, filters=SearchFilter(domains=("legal",), groups=("legal",)))
    prompt = ChatPromptTemplate.from_messages([
        ("system", "Answer only from the context.\n\nContext:\n{context}"),
        ("human", "{question}"),
    ])
    chain = RunnableParallel(context=retriever | format_docs, question=RunnablePassthrough()) | prompt
    value = chain.invoke("How much notice ends the lease?")
    messages = value.to_messages()
    assert messages[1].content == "How much notice ends the lease?"
    assert "ninety days notice" in messages[0].content
    assert cited(messages[0].content) <= {"contract/lease", "contract/cleaning"}

    questions = ["How much notice ends the lease?", "Who cleans the wards?", ANNUAL_LEAVE]
    batch = chain.batch(questions)
    assert len(batch) == 3
    for question, result in zip(questions, batch):
        system, human = result.to_messages()
        assert human.content == question
        # The domain filter holds even for a question about healthcare leave.
        assert cited(system.content) == {"contract/lease", "contract/cleaning"}


def test_async_invoke_and_batch(kb):
    retriever = KnowledgeBaseRetriever(kb=kb, k=4, filters=SearchFilter(groups=("nurses",)))

    async def run() -> tuple[list[LCDocument], list[list[LCDocument]]]:
        one = await retriever.ainvoke(ANNUAL_LEAVE)
        many = await retriever.abatch([ANNUAL_LEAVE, "terminate with notice"])
        return one, many

    one, many = asyncio.run(run())
    assert len(many) == 2
    for docs in [one, *many]:
        # k = 4, but nurses may see only three documents: all three come back, nothing else.
        assert {d.metadata["doc_id"] for d in docs} == {"leave/nurses", "leave/public", "contract/cleaning"}


def test_metadata_filters_and_k(kb):
    recent_md = KnowledgeBaseRetriever(kb=kb, k=10, filters=SearchFilter(doc_types=("md",), date_from="2024"))
    assert {d.metadata["doc_id"] for d in recent_md.invoke(ANNUAL_LEAVE)} == {"leave/nurses", "leave/public"}
    one = KnowledgeBaseRetriever(kb=kb, k=1, filters=SearchFilter(groups=("doctors",)))
    assert [d.metadata["doc_id"] for d in one.invoke("study days for physicians")] == ["leave/doctors"]


def test_callbacks_see_the_retrieval(kb):
    class Recorder(BaseCallbackHandler):
        def __init__(self) -> None:
            self.events: list[tuple[str, Any]] = []

        def on_retriever_start(self, serialized: Any, query: str, **kwargs: Any) -> None:
            self.events.append(("start", query))

        def on_retriever_end(self, documents: Any, **kwargs: Any) -> None:
            self.events.append(("end", [d.metadata["doc_id"] for d in documents]))

    recorder = Recorder()
    retriever = KnowledgeBaseRetriever(kb=kb, k=2, filters=SearchFilter(groups=()))
    retriever.invoke("public holidays", config={"callbacks": [recorder]})
    assert recorder.events[0] == ("start", "public holidays")
    assert recorder.events[1][0] == "end" and recorder.events[1][1][0] == "leave/public"


def test_mistakes_are_explained(kb):
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        KnowledgeBaseRetriever(kb=kb, k=0)
    with pytest.raises(ValidationError, match="SearchFilter"):
        KnowledgeBaseRetriever(kb=kb, filters="nurses")
    with pytest.raises(AssistantError, match="non-empty text"):
        KnowledgeBaseRetriever(kb=kb).invoke("   ")
