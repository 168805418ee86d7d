"""The stable JSON shapes of the CLI (benchmarks and integrations script against these)."""

from __future__ import annotations

from assistant.core.types import Answer, Hit


def hit_to_dict(hit: Hit) -> dict:
    c = hit.chunk
    return {"chunk_id": c.id, "doc_id": c.doc_id, "title": c.title, "text": c.text, "score": round(hit.score, 4),
            "locator": c.locator.label()}


def answer_to_dict(answer: Answer) -> dict:
    return {
        "answer": answer.text,
        "abstained": answer.abstained,
        "confidence": answer.confidence,
        "citations": [{"n": c.n, "chunk_id": c.chunk.id, "doc_id": c.chunk.doc_id, "title": c.chunk.title,
                       "locator": c.chunk.locator.label(), "text": c.chunk.text} for c in answer.citations],
        "sentences": [{"text": s.text, "citations": list(s.citations), "support": s.support, "verdict": s.verdict,
                       "note": s.note, "evidence": list(s.evidence)} for s in answer.sentences],
        "closest": [hit_to_dict(h) for h in answer.closest],
        "timings": {k: round(v, 3) for k, v in answer.timings.items()},
        "adapter": answer.adapter,
        "model": answer.model,
        "abstain_reason": answer.abstain_reason,
        "escalated": answer.escalated,
        "notice": answer.notice,
        "quarantined": [{**hit_to_dict(q.hit), "reasons": list(q.reasons)} for q in answer.quarantined],
        "checks": dict(answer.checks),
    }
