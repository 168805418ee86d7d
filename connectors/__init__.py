"""Connectors read a source and yield `Document`s (or `SourceError`s for inputs they could not read)."""

from .contractnli import ContractNLIConnector
from .fhir import FHIRConnector
from .files import FileConnector, read_text_file
from .healthcare import MedQuADConnector, PubMedQAConnector
from .jsonl import JsonlConnector
from .pubmed import PubMedConnector
from .registry import FolderConnector, connector_for
from .tabular import CsvConnector
from .uslm import USLMConnector

__all__ = ["ContractNLIConnector", "CsvConnector", "FHIRConnector", "FileConnector", "FolderConnector",
           "JsonlConnector", "LangChainLoaderConnector", "MedQuADConnector", "PubMedConnector",
           "PubMedQAConnector", "SQLConnector", "USLMConnector", "connector_for", "read_text_file"]


def __getattr__(name: str):
    # SQLAlchemy and LangChain take half a second to import; only SQL and loader sources need them.
    if name == "SQLConnector":
        from .sql import SQLConnector
        return SQLConnector
    if name == "LangChainLoaderConnector":
        from .langchain_loader import LangChainLoaderConnector
        return LangChainLoaderConnector
    raise AttributeError(f"module 'connectors' has no attribute {name!r}")
