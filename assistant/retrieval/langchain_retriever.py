"""A LangChain retriever over a knowledge base, so existing LangChain chains and agents can use it.

    retriever = KnowledgeBaseRetriever(kb=KnowledgeBase("kb/clinic"), k=5,
                                       filters=SearchFilter(domains=("healthcare",), groups=("nurses",)))
    chain = retriever | RunnableLambda(format_docs) | prompt | llm

Searches go through the same HybridRetriever as `assistant search`: metadata filters and ACL groups
are applied inside the search, so a passage outside `filters.groups` never enters the chain.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from assistant.core.errors import AssistantError
from assistant.core.types import Hit, SearchFilter
from assistant.ingest.kb import KnowledgeBase
from assistant.retrieval.retriever import HybridRetriever


class KnowledgeBaseRetriever(BaseRetriever):
    """`invoke(query)` → the top `k` passages as LangChain Documents, best first.

    `filters.groups` are the caller's ACL groups: None = no ACL check (a trusted local caller), () = an
    anonymous caller who sees only documents without an ACL. `ainvoke` uses LangChain's default, which
    runs the search in a worker thread."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    kb: KnowledgeBase
    k: int = Field(default=4, ge=1, le=1000)
    filters: SearchFilter | None = None

    _retriever: HybridRetriever = PrivateAttr()

    def model_post_init(self, context: Any) -> None:
        self._retriever = HybridRetriever(self.kb)
        # Reconcile the dense index now, on one thread: batch() and ainvoke() search from several.
        self.kb.reconcile(save=False)

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        if not isinstance(query, str) or not query.strip():
            raise AssistantError(f"the query must be non-empty text, found {query!r}")
        return [to_langchain(hit) for hit in self._retriever.search(query, self.k, self.filters)]


def to_langchain(hit: Hit) -> LCDocument:
    """A hit as a LangChain Document: the passage text, and where it comes from in `metadata`."""
    c = hit.chunk
    return LCDocument(page_content=c.text, id=c.id, metadata={
        "doc_id": c.doc_id, "chunk_id": c.id, "title": c.title, "locator": c.locator.label(),
        "domain": c.domain, "start": c.start, "end": c.end, "score": hit.score, "relevance": hit.relevance,
    })
