"""Request and response shapes of the assistant's API, as pydantic models: FastAPI validates requests
against them (422 naming the field) and publishes them in /openapi.json. Response shapes follow the
CLI's JSON (assistant/core/serialize.py), so a script reads `assistant ask --json` and the API alike."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from assistant.apps.openai_wire import ChatRequest
from assistant.core.text import MAX_QUESTION_CHARS
from assistant.core.users import GROUP

Name = Annotated[str, Field(min_length=1, max_length=500)]
Group = Annotated[str, Field(pattern=f"^{GROUP.pattern}$")]
IsoDate = Annotated[str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}(:\d{2}(:\d{2})?)?)?)?)?$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field ("top_k") is an error, not ignored


class Filters(Strict):
    """Metadata filters, applied inside the search before k is cut; the caller's ACL groups always apply."""

    domains: list[Name] = Field(default_factory=list, max_length=32)
    sources: list[Name] = Field(default_factory=list, max_length=32,
                                description="exact sources, or prefixes ending in / or *")
    doc_types: list[Name] = Field(default_factory=list, max_length=32)
    doc_ids: list[Name] = Field(default_factory=list, max_length=256)
    since: IsoDate | None = None
    until: IsoDate | None = None


class AssistantChatRequest(ChatRequest):
    """OpenAI's request; `model` is the served model name, "auto", "base" or an adapter (GET /v1/models).
    `filters` (optional, e.g. via the client's extra_body) narrows the passages the answer may use."""

    filters: Filters | None = None


class SearchRequest(Strict):
    query: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS)
    k: int = Field(default=10, ge=1, description="hits to return; at most the server's ApiLimits.max_k")
    filters: Filters | None = None


class TextDocumentIn(Strict):
    text: str = Field(min_length=1)  # bounded by the request body limit
    id: str = Field(default="", max_length=500, description="default: uploads/<title or a hash of the text>")
    title: str = Field(default="", max_length=500)
    domain: str = Field(default="", max_length=64)
    metadata: dict[str, str | int | float | bool | None] | None = None


class DocumentsIn(Strict):
    documents: list[TextDocumentIn] = Field(min_length=1, description="at most the server's ApiLimits.files")
    groups: list[Group] | None = Field(default=None, max_length=32,
                                       description="who may see them: a subset of your groups (default: all of them)")
    domain: str | None = Field(default=None, max_length=64)


class HitOut(BaseModel):
    chunk_id: str
    doc_id: str
    title: str
    text: str
    score: float
    locator: str


class QuarantinedOut(HitOut):
    reasons: list[str]


class CitationOut(BaseModel):
    n: int
    chunk_id: str
    doc_id: str
    title: str
    locator: str
    text: str


class SentenceOut(BaseModel):
    text: str
    citations: list[int]
    support: float
    verdict: Literal["supported", "repaired", "unsupported", "removed"]
    note: str
    evidence: list[str] = Field(default_factory=list, description="per citation, the passage sentence that backs it")


class AnswerOut(BaseModel):
    """`assistant ask --json`'s answer, plus the question as asked (a follow-up carries its context)."""

    question: str
    answer: str
    abstained: bool
    confidence: float
    citations: list[CitationOut]
    sentences: list[SentenceOut]
    closest: list[HitOut]
    timings: dict[str, float]
    adapter: str | None
    model: str
    abstain_reason: str
    escalated: bool
    notice: str
    quarantined: list[QuarantinedOut]
    checks: dict[str, float]


class MessageOut(BaseModel):
    role: Literal["assistant"]
    content: str


class ChoiceOut(BaseModel):
    index: int
    finish_reason: Literal["stop"]
    message: MessageOut


class ChatCompletionOut(BaseModel):
    id: str
    object: Literal["chat.completion"]
    created: int
    model: str
    choices: list[ChoiceOut]
    assistant: AnswerOut = Field(description="citations, sentence verdicts, confidence, abstention, sources")


class SearchOut(BaseModel):
    hits: list[HitOut]


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = 0
    owned_by: str = "local"


class ModelList(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


class DocumentOut(BaseModel):
    id: str
    title: str
    source: str
    domain: str
    chunks: int
    ingested_at: str
    date: str | None
    acl: list[str]


class DocumentList(BaseModel):
    object: Literal["list"] = "list"
    data: list[DocumentOut]


class IngestOut(BaseModel):
    """`assistant ingest --json`'s report; errors name each input that could not be taken."""

    documents_added: int
    documents_updated: int
    documents_unchanged: int
    documents_pruned: int
    chunks_added: int
    chunks_reused: int
    redactions: dict[str, int]
    seconds: float
    errors: list[dict[str, str]]
    warnings: list[dict[str, str]]
    skipped: list[dict[str, str]] = Field(default_factory=list, description="files inside a folder or archive that "
                                          "no connector reads, each with the reason")
    ids: list[str] = Field(default_factory=list, description="the ids text records were stored under (a signed-in "
                                                                  "caller's live under uploads/<groups>/)")


class DeletedOut(BaseModel):
    id: str
    deleted: Literal[True] = True
