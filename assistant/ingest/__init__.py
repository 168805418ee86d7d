"""Ingest: documents from connectors become chunks (sections, clauses, redaction) in a knowledge base (catalog, FTS5, dense index); uploads from the page and the API."""
