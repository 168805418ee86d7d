"""Connectors read a source and yield `Document`s (or `SourceError`s for inputs they could not read)."""

from assistant.connectors.contractnli import ContractNLIConnector
from assistant.connectors.fhir import FHIRConnector
from assistant.connectors.files import FileConnector, read_text_file
from assistant.connectors.healthcare import MedQuADConnector, PubMedQAConnector
from assistant.connectors.jsonl import JsonlConnector
from assistant.connectors.pubmed import PubMedConnector
from assistant.connectors.registry import FolderConnector, connector_for
from assistant.connectors.tabular import CsvConnector
from assistant.connectors.uslm import USLMConnector

__all__ = ["ContractNLIConnector", "CsvConnector", "FHIRConnector", "FileConnector", "FolderConnector",
           "JsonlConnector", "LangChainLoaderConnector", "MedQuADConnector", "PubMedConnector",
           "PubMedQAConnector", "SQLConnector", "USLMConnector", "connector_for", "read_text_file"]


def __getattr__(name: str):
    # SQLAlchemy and LangChain take half a second to import; only SQL and loader sources need them.
    if name == "SQLConnector":
        from assistant.connectors.sql import SQLConnector
        return SQLConnector
    if name == "LangChainLoaderConnector":
        from assistant.connectors.langchain_loader import LangChainLoaderConnector
        return LangChainLoaderConnector
    raise AttributeError(f"module 'connectors' has no attribute {name!r}")
