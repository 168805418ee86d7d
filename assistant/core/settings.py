"""Settings: one validated dataclass per stage, gathered in `Settings`.

Values come from, in order of precedence: explicit arguments (CLI flags), environment variables
`ASSISTANT_<SECTION>_<KEY>` (e.g. `ASSISTANT_GENERATOR_MODEL=/models/qwen`), a TOML file
(`--config FILE` or `$ASSISTANT_CONFIG`), then the defaults below.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from assistant.core.errors import ConfigError

BUNDLED_EMBEDDER = "bundled:all-MiniLM-L6-v2"
BUNDLED_GENERATOR = "bundled:SmolLM2-135M-Instruct"


def _check(cond: bool, section: str, key: str, expected: str, value: Any) -> None:
    if not cond:
        raise ConfigError(f"[{section}] {key}: expected {expected}, found {value!r}")


def default_cache_dir() -> Path:
    base = os.environ.get("ASSISTANT_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "domain-assistant")
    return Path(base)


@dataclass(frozen=True)
class EmbeddingConfig:
    model: str = BUNDLED_EMBEDDER  # or a local sentence-transformers directory
    batch_size: int = 32
    max_seq_length: int = 256
    backend: str = "torch"  # "torch" or "onnx-int8" (exported and quantised locally, cached)

    def __post_init__(self) -> None:
        _check(bool(self.model), "embedding", "model", "a model directory or 'bundled:...'", self.model)
        _check(self.backend in ("torch", "onnx-int8"), "embedding", "backend", "'torch' or 'onnx-int8'", self.backend)
        _check(1 <= self.batch_size <= 4096, "embedding", "batch_size", "an integer in 1..4096", self.batch_size)
        _check(16 <= self.max_seq_length <= 8192, "embedding", "max_seq_length", "16..8192", self.max_seq_length)


@dataclass(frozen=True)
class ChunkingConfig:
    max_chars: int = 700
    overlap_sentences: int = 1
    min_chars: int = 40  # a trailing piece shorter than this is merged into the previous chunk
    # Per-domain overrides, e.g. [chunking.domains.legal] max_chars = 1000 (clauses run longer than
    # leaflet paragraphs); a document's `domain` picks its entry.
    domains: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(100 <= self.max_chars <= 20000, "chunking", "max_chars", "100..20000", self.max_chars)
        _check(0 <= self.overlap_sentences <= 5, "chunking", "overlap_sentences", "0..5", self.overlap_sentences)
        _check(0 <= self.min_chars < self.max_chars, "chunking", "min_chars", "0..max_chars-1", self.min_chars)
        for domain, values in self.domains.items():
            allowed = {"max_chars", "overlap_sentences", "min_chars"}
            _check(isinstance(values, dict) and set(values) <= allowed, f"chunking.domains.{domain}",
                   "keys", f"a table with some of {sorted(allowed)}", values)
            self.for_domain(domain)  # validates the merged values

    def for_domain(self, domain: str) -> "ChunkingConfig":
        values = self.domains.get(domain)
        return replace(self, domains={}, **values) if values else self


@dataclass(frozen=True)
class IndexConfig:
    backend: str = "faiss"  # "faiss" (files in the KB directory) or "chroma"
    kind: str = "auto"  # FAISS: "flat" (exact), "hnsw", "ivf", or "auto" = flat up to exact_limit vectors
    exact_limit: int = 200_000
    hnsw_m: int = 32
    ef_search: int = 128  # HNSW search breadth: higher = better recall, slower
    nprobe: int = 16  # IVF lists visited per query
    mmap: bool = False  # FAISS: memory-map the index file instead of reading it into RAM
    chroma_url: str = ""  # "" = embedded Chroma in the KB directory; "http://host:8000" = a Chroma server
    chroma_collection: str = ""  # default: derived from the KB directory name

    def __post_init__(self) -> None:
        _check(self.backend in ("faiss", "chroma"), "index", "backend", "'faiss' or 'chroma'", self.backend)
        _check(self.kind in ("auto", "flat", "hnsw", "ivf"), "index", "kind", "auto, flat, hnsw or ivf", self.kind)
        _check(1000 <= self.exact_limit <= 10**9, "index", "exact_limit", "1000..1e9", self.exact_limit)
        _check(4 <= self.hnsw_m <= 128, "index", "hnsw_m", "4..128", self.hnsw_m)
        _check(8 <= self.ef_search <= 4096, "index", "ef_search", "8..4096", self.ef_search)
        _check(1 <= self.nprobe <= 4096, "index", "nprobe", "1..4096", self.nprobe)
        _check(not self.chroma_url or self.chroma_url.startswith(("http://", "https://")), "index", "chroma_url",
               "'' (embedded) or an http(s):// URL of a Chroma server", self.chroma_url)


@dataclass(frozen=True)
class RetrievalConfig:
    top_k: int = 4  # passages given to the generator
    candidates: int = 40  # per retriever, before fusion
    min_relevance: float = 0.22  # best dense cosine below this → abstain without generating
    context_margin: float = 0.2  # passages this far below the best cosine are not shown to the generator
    # Fusion (assistant/retrieval/retriever/fusion.rank). These are the values for passages of a domain without fitted ones;
    # healthcare and legal get FITTED_DOMAINS below, fitted by `bench/retrieval.py quality --tune`
    # (coordinate search, one start per normalisation) on the tune halves of MedQuAD + PubMedQA and CUAD.
    fusion: str = "weighted"  # "weighted" (normalised scores) or "rrf" (ranks only; kept for comparison)
    normalisation: str = "max"  # per query over the candidates: "minmax", "zscore", "max" or "none"
    dense_weight: float = 0.55  # fused = w * norm(cosine) + (1 - w) * norm(BM25)
    doc_weight: float = 0.0  # + doc_weight * (best or mean fused score of the document's other candidates)
    doc_pool: str = "max"  # "max" or "mean"
    rrf_k: int = 60  # only for fusion = "rrf"
    mmr_lambda: float = 1.0  # < 1 re-orders for diversity (maximal marginal relevance); 1 = off
    # Query focus: when the question names a candidate's document title, chunks under that title get
    # + title_weight, and the rest of the question ("what are the symptoms") is scored on its own.
    title_weight: float = 1.0
    intent_weight: float = 0.6  # + intent_weight * norm(cosine of the rest of the question)
    intent_bm25_weight: float = 0.1  # + intent_bm25_weight * norm(BM25 of its content words)
    # A question about the document itself (its name, parties, signing or effective date) adds the
    # first chunk of each candidate document, with + opening_weight (see query.asks_about_document).
    opening_weight: float = 0.75
    # A contract question asking for a clause ("which law governs …") adds + heading_weight to passages
    # filed under that clause's heading or synonyms (retrieval/clause_topics.py); fitted for legal.
    heading_weight: float = 0.0
    query_cleanup: bool = True  # strip greetings, signatures, identifiers; BM25 gets the focus terms
    reranker: str = ""  # a local sentence-transformers CrossEncoder directory; "" = no reranking
    rerank_depth: int = 20  # fused candidates the cross-encoder rescores
    rerank_weight: float = 1.0  # final = w * norm(cross-encoder) + (1 - w) * norm(fused)
    # Contracts and health leaflets want different fusion: BM25 carries legal wording that MiniLM
    # blurs, dense carries paraphrased consumer questions. A query is ranked with the values of the
    # domain most of its candidates belong to: FITTED_DOMAINS (when domain_tuning) with any
    # [retrieval.domains.<name>] table on top, e.g. [retrieval.domains.legal] dense_weight = 0.3.
    domain_tuning: bool = True
    domains: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check(1 <= self.top_k <= 50, "retrieval", "top_k", "1..50", self.top_k)
        _check(self.top_k <= self.candidates <= 2000, "retrieval", "candidates", "top_k..2000", self.candidates)
        _check(0.0 <= self.dense_weight <= 1.0, "retrieval", "dense_weight", "0..1", self.dense_weight)
        _check(-1.0 <= self.min_relevance <= 1.0, "retrieval", "min_relevance", "-1..1", self.min_relevance)
        _check(0.0 <= self.context_margin <= 2.0, "retrieval", "context_margin", "0..2", self.context_margin)
        _check(self.fusion in ("weighted", "rrf"), "retrieval", "fusion", "'weighted' or 'rrf'", self.fusion)
        _check(self.normalisation in ("minmax", "zscore", "max", "none"), "retrieval", "normalisation",
               "minmax, zscore, max or none", self.normalisation)
        _check(0.0 <= self.doc_weight <= 5.0, "retrieval", "doc_weight", "0..5", self.doc_weight)
        _check(self.doc_pool in ("max", "mean"), "retrieval", "doc_pool", "'max' or 'mean'", self.doc_pool)
        _check(1 <= self.rrf_k <= 10000, "retrieval", "rrf_k", "1..10000", self.rrf_k)
        _check(0.0 <= self.mmr_lambda <= 1.0, "retrieval", "mmr_lambda", "0..1", self.mmr_lambda)
        for key in ("title_weight", "intent_weight", "intent_bm25_weight", "opening_weight", "heading_weight"):
            _check(0.0 <= getattr(self, key) <= 5.0, "retrieval", key, "0..5", getattr(self, key))
        _check(1 <= self.rerank_depth <= 500, "retrieval", "rerank_depth", "1..500", self.rerank_depth)
        _check(0.0 <= self.rerank_weight <= 1.0, "retrieval", "rerank_weight", "0..1", self.rerank_weight)
        for domain, values in self.domains.items():
            _check(isinstance(values, dict) and set(values) <= set(DOMAIN_KEYS), f"retrieval.domains.{domain}",
                   "keys", f"a table with some of {sorted(DOMAIN_KEYS)}", values)
            self.for_domain(domain)  # validates the merged values

    def for_domain(self, domain: str) -> "RetrievalConfig":
        """The fusion values for passages of `domain`: fitted ones first, the user's table on top."""
        values = {**(FITTED_DOMAINS.get(domain, {}) if self.domain_tuning else {}), **self.domains.get(domain, {})}
        if not values:
            return self
        try:
            merged = replace(self, domains={}, **values)
        except ConfigError as e:
            raise ConfigError(f"[retrieval.domains.{domain}] {e}") from None
        object.__setattr__(merged, "domains", self.domains)  # so for_domain on the result still works
        return merged


# The RetrievalConfig keys a [retrieval.domains.<name>] table may set: those `fusion.rank` reads.
DOMAIN_KEYS = ("fusion", "normalisation", "dense_weight", "doc_weight", "doc_pool", "rrf_k", "mmr_lambda",
               "title_weight", "intent_weight", "intent_bm25_weight", "opening_weight", "heading_weight",
               "min_relevance")
# Fitted by `bench/retrieval.py quality --tune` on the tune halves: healthcare on MedQuAD + PubMedQA,
# legal on CUAD (the README's retrieval table has the held-out figures).
FITTED_DOMAINS: dict[str, dict] = {
    # min_relevance: `bench/abstention.py --write` (assistant/reliability/abstention.json has the data):
    # no held-out answerable MedQuAD/PubMedQA question refused, every off-topic one. No legal question set
    # was at hand to fit one for contracts, so legal keeps the default.
    "healthcare": {"normalisation": "max", "dense_weight": 0.7, "title_weight": 1.5, "intent_weight": 1.0,
                   "intent_bm25_weight": 0.3, "min_relevance": 0.42},
    # heading_weight: fitted on the CUAD train-half contracts (bench/answers.py's split): top-1 for governing
    # law 0.79 → 0.92, expiration 0.28 → 0.63 (0.6 gave the same); held-out figures in the README.
    "legal": {"normalisation": "max", "dense_weight": 0.35, "heading_weight": 0.3},
}


@dataclass(frozen=True)
class GeneratorConfig:
    model: str = BUNDLED_GENERATOR  # or a local Hugging Face causal-LM directory
    # LoRA adapter: a registered name (`assistant adapters list`), a PEFT directory, "auto" (per request,
    # the one of `adapters` whose domain the top hits share; the base model when none matches) or
    # "base". It is also the default a request that names no adapter gets.
    adapter: str | None = None
    # With no adapter named, the bundled model answers through the grounded-answer adapter shipped in the
    # package (assistant/generation/adapters/shipped/grounded, its DATA_CARD.md says how it was made):
    # it states the asked fact in the source's words and cites each sentence. false = the plain model.
    grounded: bool = True
    # Adapters loaded together onto one base model and chosen per request (registered names or
    # directories); empty with adapter = "auto" loads every registered adapter.
    adapters: tuple = ()
    max_new_tokens: int = 120
    # Every answer sentence ends with a valid [n] and at most three sentences are written: the decoder
    # masks the scores where the format requires (generation/constrain.py); local backends only.
    constrain_citations: bool = True
    # With constrain_citations: may the draft open with the not-found sentence? False masks that opening
    # and the model answers from the passages retrieval let through; the verifier and the subject check
    # (not the 135M model's guess) decide whether it is shown or the assistant abstains.
    refusals: bool = True
    # Each passage in the prompt led by its sentence closest to the question (generation/focus.py): the
    # small model copies from a passage's start. The checker still reads the passages as stored.
    focus: bool = True
    repetition_penalty: float = 1.05
    max_source_chars: int = 600  # per passage in the prompt; the 135M model loses the thread on long prompts
    threads: int = 0  # torch threads; 0 = all cores
    decode_threads: int = 1  # fast path, per generated token (tiny matmuls: hand-offs cost more); 0 = threads
    cache_dir: str = ""  # converted weights; empty = ~/.cache/domain-assistant
    # fast: a decode loop instead of model.generate (token choice, penalty and constraint unchanged):
    # on `runtime` "onnx" onnxruntime-genai runs each forward (generation/ortgen.py; the model is exported
    # once and cached; an architecture its builder cannot export falls back to torch); on "torch"
    # generation/fastgen.py's loop, bit for bit generate's text.
    fast: bool = True
    runtime: str = "onnx"
    # "int8": int8 weights (torch: dynamic int8 linear layers; onnx: the builder's int8), "int4" (onnx only):
    # faster decode, different numbers, so sometimes different text. Fast path only.
    quantize: str = "none"
    # torch fast path: reuse the system block's keys/values across requests; shorter prefill, float rounding
    # differs from a full prefill (~1e-5 in the logits). The onnx runtime always appends after the previous
    # prompt's shared opening: there that gives the same logits (tests/test_ortgen.py).
    prefix_cache: bool = False
    # Prompt lookup (fast path): up to this many tokens copied from the sources are proposed after a
    # matching n-gram and checked in one forward; greedy text is kept, so grounded answers come faster.
    lookahead: int = 8

    # backend "openai": an OpenAI-compatible chat-completions server generates instead (vLLM, TGI,
    # llama.cpp, or `assistant serve-model`); `adapter` is then the served model name, else remote_model.
    backend: str = "local"
    base_url: str = ""  # e.g. http://gpu-box:8000/v1
    remote_model: str = ""
    api_key_env: str = "OPENAI_API_KEY"  # the environment variable holding the key (never the key itself)
    timeout_s: float = 120.0

    def __post_init__(self) -> None:
        _check(bool(self.model), "generator", "model", "a model directory or 'bundled:...'", self.model)
        _check(self.backend in ("local", "openai"), "generator", "backend", "'local' or 'openai'", self.backend)
        _check(self.backend == "local" or self.base_url.startswith(("http://", "https://")), "generator",
               "base_url", "an http(s) URL of an OpenAI-compatible server when backend = 'openai'", self.base_url)
        _check(self.backend == "local" or (self.adapter != "auto" and not self.adapters), "generator", "adapter",
               "a served model name when backend = 'openai' (per-request 'auto' and `adapters` are local)",
               self.adapter)
        _check(0.5 <= self.timeout_s <= 3600, "generator", "timeout_s", "0.5..3600", self.timeout_s)
        _check(1 <= self.max_new_tokens <= 4096, "generator", "max_new_tokens", "1..4096", self.max_new_tokens)
        _check(1.0 <= self.repetition_penalty <= 2.0, "generator", "repetition_penalty", "1.0..2.0", self.repetition_penalty)
        _check(100 <= self.max_source_chars <= 20000, "generator", "max_source_chars", "100..20000", self.max_source_chars)
        _check(0 <= self.threads <= 256, "generator", "threads", "0..256", self.threads)
        _check(0 <= self.decode_threads <= 256, "generator", "decode_threads", "0..256", self.decode_threads)
        _check(0 <= self.lookahead <= 64, "generator", "lookahead", "0..64 (0: off)", self.lookahead)
        _check(self.runtime in ("onnx", "torch"), "generator", "runtime", "'onnx' or 'torch'", self.runtime)
        _check(self.quantize in ("none", "int8", "int4") and (self.quantize != "int4" or self.runtime == "onnx"),
               "generator", "quantize", "'none' or 'int8' (or 'int4' with runtime = \"onnx\")", self.quantize)
        _check(self.fast or (self.quantize == "none" and not self.prefix_cache), "generator", "fast",
               "true when quantize or prefix_cache is set (they only exist on the fast path)", self.fast)

    def cache_path(self) -> Path:
        return Path(self.cache_dir) if self.cache_dir else default_cache_dir()


@dataclass(frozen=True)
class ReliabilityConfig:
    # Sentence support at or above this is "supported"; 0 = the verifier's calibrated threshold.
    support_threshold: float = 0.0
    # A sentence no cited passage supports: "repair" re-cites it to the passage that does, else replaces
    # it by that passage's own sentence when they say nearly the same, else removes it (all marked);
    # "flag" re-cites or shows it with an unsupported badge; "drop" re-cites or removes it.
    unsupported: str = "repair"
    replace_min_similarity: float = 0.75  # claim ↔ source-sentence cosine needed to swap in the source's words
    quote_fallback: bool = True  # nothing supported → answer with the best-matching source sentence
    quote_min_similarity: float = 0.45  # question ↔ source-sentence cosine needed for that quote
    # Under the relevance gate (no passage close enough to draft from) a quote needs a sentence this
    # close to the question: the gate reads whole passages, and one sentence can match where they do not.
    gated_quote_min_similarity: float = 0.6
    # The question's subject must be in the sources (reliability/coverage.py): its words rarer than this
    # on wordfreq's Zipf scale of general English must appear in the passages a sentence cites, else the
    # sentence goes ("hemorrhoids" answered from a hemophilia passage); in no passage → abstain before
    # drafting. 0 turns it off. Not fitted: 4 sits between question frame words ("treatments" 4.1,
    # "symptoms" 4.5) and disease, drug and party names (mostly 2-3.5); measured by `bench/answers.py`.
    subject_max_zipf: float = 4.0
    # Names a backed sentence states must be in what backs it: its words rarer than this (drug, disease,
    # party names) must appear in the evidence sentence, the passage's title or heading, its document's
    # opening or the passage sentences the sentence copies, else the citation does not support it (a drug
    # name the model invented, a disease swapped for the one the passage names). 0 turns it off.
    claim_terms_max_zipf: float = 4.0
    # A question asking for a contract clause (retrieval/clause_topics.py) is answered from that clause when
    # a retrieved passage is it: a sentence from another clause (severability for "which law governs?")
    # is removed, and the quote fallback skips it.
    clause_topics: bool = True
    # Self-consistency (off by default: N more generations): N sampled answers must say what each shown
    # sentence says; their agreement scales the confidence and is reported in Answer.checks.
    self_consistency: int = 0
    # Retrieved passages that try to instruct the model are withheld from it and shown flagged.
    injection_screening: bool = True
    # Output guard: PHI/PII in the answer becomes typed placeholders ([NAME], [PHONE], ...) unless false.
    mask_pii: bool = True
    # Notice per domain of the cited passages, shown apart from the cited text; "" or {} turns it off.
    notices: dict = field(default_factory=lambda: dict(DEFAULT_NOTICES))
    # Audit log: one append-only SQLite record per answer; "" = audit.sqlite in the KB directory.
    audit: bool = True
    audit_path: str = ""
    audit_questions: bool = False  # store the question text itself, not only its SHA-256
    # Escalation (off by default): a low-confidence or unverified answer is asked again of a larger model
    # on an OpenAI-compatible server, with the same passages, and checked the same way; the better stays.
    escalate: bool = False
    escalate_below: float = 0.5  # confidence under this escalates (abstaining for lack of support does too)
    escalate_base_url: str = ""  # e.g. http://gpu-box:8000/v1
    escalate_model: str = ""
    escalate_api_key_env: str = "OPENAI_API_KEY"  # the variable's name, never the key itself
    escalate_timeout_s: float = 120.0

    def __post_init__(self) -> None:
        _check(0.0 <= self.support_threshold < 1.0, "reliability", "support_threshold",
               "0..1 (0: the verifier's calibrated threshold)", self.support_threshold)
        _check(self.unsupported in ("repair", "flag", "drop"), "reliability", "unsupported",
               "'repair', 'flag' or 'drop'", self.unsupported)
        _check(0.0 <= self.replace_min_similarity <= 1.0, "reliability", "replace_min_similarity", "0..1",
               self.replace_min_similarity)
        _check(0 <= self.self_consistency <= 16, "reliability", "self_consistency", "0..16 samples (0: off)",
               self.self_consistency)
        _check(0.0 <= self.quote_min_similarity <= 1.0, "reliability", "quote_min_similarity", "0..1", self.quote_min_similarity)
        _check(0.0 <= self.subject_max_zipf <= 8.0, "reliability", "subject_max_zipf",
               "0..8 on the Zipf scale (0: off; 4 = rarer than 'symptoms')", self.subject_max_zipf)
        _check(0.0 <= self.claim_terms_max_zipf <= 8.0, "reliability", "claim_terms_max_zipf",
               "0..8 on the Zipf scale (0: off; 4 = rarer than 'symptoms')", self.claim_terms_max_zipf)
        _check(0.0 <= self.gated_quote_min_similarity <= 1.0, "reliability", "gated_quote_min_similarity", "0..1",
               self.gated_quote_min_similarity)
        _check(isinstance(self.notices, dict) and all(isinstance(k, str) and isinstance(v, str)
                                                      for k, v in self.notices.items()),
               "reliability", "notices", 'a table of domain = "notice text", e.g. legal = "Not legal advice."',
               self.notices)
        _check(0.0 <= self.escalate_below <= 1.0, "reliability", "escalate_below", "0..1", self.escalate_below)
        _check(not self.escalate or self.escalate_base_url.startswith(("http://", "https://")), "reliability",
               "escalate_base_url", "an http(s) URL of an OpenAI-compatible server when escalate = true",
               self.escalate_base_url)
        _check(not self.escalate or bool(self.escalate_model), "reliability", "escalate_model",
               "the served model name when escalate = true", self.escalate_model)
        _check(0.5 <= self.escalate_timeout_s <= 3600, "reliability", "escalate_timeout_s", "0.5..3600",
               self.escalate_timeout_s)


DEFAULT_NOTICES = {
    "healthcare": "Not medical advice: this answer only restates the cited documents. Ask a clinician "
                  "before acting on it.",
    "legal": "Not legal advice: this answer only restates the cited documents. Ask a lawyer before "
             "acting on it.",
}


@dataclass(frozen=True)
class VerifierConfig:
    calibration: str = ""  # fitted combination (JSON); empty = assistant/reliability/calibration.json
    judge: bool = False  # the generator as a judge (a forward pass per pair: slow on CPU)
    nli_model: str = ""  # a second local NLI cross-encoder directory, as one more signal; empty = none
    # The entailment cross-encoder: "bundled" (the one shipped in assistant/reliability/verifier_model),
    # "off" (cheap signals only), or a directory (one `assistant verifier train --out` wrote, or any
    # Hugging Face / sentence-transformers CrossEncoder).
    model: str = "bundled"

    def __post_init__(self) -> None:
        _check(isinstance(self.judge, bool), "verifier", "judge", "true or false", self.judge)


@dataclass(frozen=True)
class Settings:
    embedding: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    index: IndexConfig = field(default_factory=IndexConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    generator: GeneratorConfig = field(default_factory=GeneratorConfig)
    reliability: ReliabilityConfig = field(default_factory=ReliabilityConfig)
    verifier: VerifierConfig = field(default_factory=VerifierConfig)

    def with_overrides(self, section: str, **values: Any) -> "Settings":
        """A copy with some keys of one section replaced (None values are ignored)."""
        values = {k: v for k, v in values.items() if v is not None}
        if not values:
            return self
        return replace(self, **{section: _build(type(getattr(self, section)), section, {
            **_asdict(getattr(self, section)), **values})})

    @classmethod
    def load(cls, path: str | os.PathLike | None = None, env: dict[str, str] | None = None) -> "Settings":
        env = dict(os.environ if env is None else env)
        path = path or env.get("ASSISTANT_CONFIG")
        data: dict[str, Any] = {}
        if path:
            p = Path(path)
            if not p.is_file():
                raise ConfigError(f"config file {p} not found; pass an existing TOML file or unset ASSISTANT_CONFIG")
            try:
                data = tomllib.loads(p.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
        sections = {f.name: f.type for f in fields(cls)}
        unknown = set(data) - set(sections)
        if unknown:
            raise ConfigError(f"config has unknown sections {sorted(unknown)}; expected some of {sorted(sections)}")
        built = {}
        for f in fields(cls):
            klass = type(getattr(cls(), f.name))
            values = dict(data.get(f.name, {}))
            prefix = f"ASSISTANT_{f.name.upper()}_"
            for key, raw in env.items():
                if key.startswith(prefix):
                    values[key[len(prefix):].lower()] = raw
            built[f.name] = _build(klass, f.name, values)
        return cls(**built)


def _asdict(obj: Any) -> dict[str, Any]:
    return {f.name: getattr(obj, f.name) for f in fields(obj)}


def _build(klass: type, section: str, values: dict[str, Any]) -> Any:
    known = {f.name: f for f in fields(klass)}
    unknown = set(values) - set(known)
    if unknown:
        raise ConfigError(f"[{section}] unknown keys {sorted(unknown)}; expected some of {sorted(known)}")
    default = klass()
    coerced = {}
    for key, value in values.items():
        target = type(getattr(default, key))
        coerced[key] = _coerce(section, key, value, target)
    return klass(**coerced)


def _coerce(section: str, key: str, value: Any, target: type) -> Any:
    if value is None or target is type(None):
        return value if value not in ("", "none", "None") else None
    if isinstance(value, target) and not (target is int and isinstance(value, bool)):
        return value
    try:
        if target is bool:
            text = str(value).strip().lower()
            if text not in ("1", "0", "true", "false", "yes", "no"):
                raise ValueError
            return text in ("1", "true", "yes")
        if target is tuple and isinstance(value, str):  # from an environment variable: "a,b"
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return target(value)
    except (TypeError, ValueError):
        raise ConfigError(f"[{section}] {key}: expected {target.__name__}, found {value!r}") from None
