"""Connectors read a source and yield `Document`s (or `SourceError`s for inputs they could not read)."""

from .contractnli import ContractNLIConnector
from .fhir import FHIRConnector
from .files import FileConnector, read_text_file
from .healthcare import MedQuADConnector, PubMedQAConnector
from .jsonl import JsonlConnector
from .langchain_loader import LangChainLoaderConnector
from .pubmed import PubMedConnector
from .registry import FolderConnector, connector_for
from .sql import SQLConnector
from .tabular import CsvConnector
from .uslm import USLMConnector

__all__ = ["ContractNLIConnector", "CsvConnector", "FHIRConnector", "FileConnector", "FolderConnector",
           "JsonlConnector", "LangChainLoaderConnector", "MedQuADConnector", "PubMedConnector",
           "PubMedQAConnector", "SQLConnector", "USLMConnector", "connector_for", "read_text_file"]
