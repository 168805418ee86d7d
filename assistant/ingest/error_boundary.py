"""How one failed input becomes one entry in an ingest report, and how a source whose reader raises
part-way is stopped without losing what it already yielded."""

from __future__ import annotations

from typing import Iterable, Iterator

from assistant.core.errors import AssistantError
from assistant.core.types import Document


def error_entry(source: str, exc: BaseException) -> dict[str, str]:
    """One `errors` entry, no traceback: our own errors are written for the user and read as they
    are; anything else (a library's TypeError on odd input) is named by its class so it can be told
    apart from a bug report."""
    message = str(exc) if isinstance(exc, AssistantError) else f"{type(exc).__name__}: {exc}"
    return {"source": source, "error": message}


def until_crash(items: Iterable[Document | Exception]) -> Iterator[Document | Exception]:
    """`items`, with an exception raised while iterating them turned into a last error item. A
    generator that raised cannot be resumed, so the run stops reading there; what was read is kept."""
    try:
        yield from items
    except Exception as exc:  # noqa: BLE001 - one broken source must not lose the documents already read
        yield SourceCrash(exc)


class SourceCrash(Exception):
    """A source's iterator raised: reading stopped early, so --prune cannot tell which documents are gone."""

    def __init__(self, exc: Exception) -> None:
        super().__init__(str(exc))
        self.exc = exc
