"""Errors a user can act on. The CLI prints these as one line, never as a traceback."""


class AssistantError(Exception):
    """Base for every error caused by input, configuration or environment (not by a bug)."""


class ConfigError(AssistantError):
    """A setting has a value outside what the stage accepts."""


class KnowledgeBaseError(AssistantError):
    """The knowledge-base directory is missing, corrupt or incompatible with the settings."""


class ModelNotFoundError(AssistantError):
    """A model directory or bundled model package cannot be found."""


class SourceError(AssistantError):
    """One input (file, record) could not be read; the rest of an ingest goes on."""

    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source = source


class SkippedSource(SourceError):
    """A file inside a folder that was deliberately not read (an unsupported type): the ingest lists
    it under `skipped` with the reason, and it does not fail the run."""
