"""Who calls the API and how its routes refuse: the caller (a user of the users file, or the trusted
local caller), the HTTP error every route raises, and the error responses the OpenAPI spec lists.
Shared by assistant/apps/api.py and assistant/apps/api_documents.py."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException

from assistant.core.types import SearchFilter
from assistant.core.users import User, filters_for

ERRORS = {401: {"description": "missing or unknown API key"}, 413: {"description": "body over the limit"},
          422: {"description": "invalid request: the message names the field"},
          503: {"description": "answer queue full or wait ran out; see Retry-After"}}


@dataclass(frozen=True)
class Caller:
    """Who is calling: a user of the users file, or (user None) the trusted local caller."""

    user: User | None
    as_name: str | None = None  # the local caller's name for the audit log (the CLI's --user)

    @property
    def name(self) -> str | None:
        return self.user.name if self.user else self.as_name

    @property
    def groups(self) -> tuple[str, ...] | None:
        return self.user.groups if self.user else None

    def filters(self, base: SearchFilter | None = None) -> SearchFilter | None:
        return filters_for(self.user, base)


def http_error(status: int, message: str, code: str | None = None, param: str | None = None,
               headers: dict | None = None) -> HTTPException:
    return HTTPException(status, detail={"message": message, "code": code, "param": param}, headers=headers)
