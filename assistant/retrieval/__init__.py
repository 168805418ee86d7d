"""Retrieval: query cleanup, dense + BM25 candidates filtered by the ACL, fusion, optional reranking; the LangChain retriever wrapper."""
