"""HTML for the web page: the answer with verdict badges and clickable [n], and the sources panel."""

from __future__ import annotations

import html
import re

from assistant.types import VERDICT_SUPPORTED, Answer, Hit

CSS = """
.answer-box { font-size: 1.05rem; line-height: 1.6; }
.sentence { display: block; margin: 0.35rem 0; padding: 0.2rem 0.4rem; border-left: 4px solid transparent; }
.sentence.supported { border-left-color: #2e7d32; }
.sentence.unsupported { border-left-color: #c62828; background: #fdecea; }
.badge { display: inline-block; font-size: 0.72rem; font-weight: 600; padding: 0 0.4rem; margin-left: 0.35rem;
         border-radius: 0.6rem; vertical-align: middle; }
.badge.supported { background: #e8f5e9; color: #1b5e20; }
.badge.unsupported { background: #ffebee; color: #b71c1c; }
.badge.abstained { background: #eceff1; color: #37474f; }
a.cite { font-weight: 600; text-decoration: none; color: #1565c0; cursor: pointer; }
.note { color: #666; font-size: 0.8rem; margin-left: 0.3rem; }
.meta { color: #555; font-size: 0.85rem; margin-top: 0.6rem; }
.legend { color: #555; font-size: 0.8rem; }
.source { border: 1px solid #ddd; border-radius: 6px; padding: 0.5rem 0.7rem; margin-bottom: 0.6rem; }
.source:target, .source.active { outline: 3px solid #1565c0; background: #e3f2fd; }
.source .src-head { font-weight: 600; }
.source .src-doc { color: #666; font-size: 0.8rem; }
.source blockquote { margin: 0.4rem 0 0 0; white-space: pre-wrap; font-size: 0.9rem; }
"""

LEGEND = ('<div class="legend">Each sentence is checked against the passages it cites: '
          '<span class="badge supported">supported</span> the cited passage backs it; '
          '<span class="badge unsupported">unsupported</span> no passage backs it — do not rely on it.</div>')


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def answer_html(answer: Answer) -> str:
    if answer.abstained:
        return (f'<div class="answer-box" id="answer"><span class="sentence abstained">{_e(answer.text)}'
                '<span class="badge abstained">not in the sources</span></span>'
                '<div class="meta">No passage in the knowledge base answers this question; the closest '
                'passages are listed on the right for you to check.</div></div>')
    parts = []
    for s in answer.sentences:
        cites = "".join(f' <a class="cite" href="#src-{n}" data-n="{n}">[{n}]</a>' for n in s.citations)
        note = f'<span class="note">({_e(s.note)})</span>' if s.note else ""
        parts.append(f'<span class="sentence {s.verdict}" data-verdict="{s.verdict}">{_e(s.text)}{cites}'
                     f'<span class="badge {s.verdict}">{s.verdict}</span>{note}</span>')
    supported = sum(s.verdict == VERDICT_SUPPORTED for s in answer.sentences)
    meta = (f'<div class="meta">Confidence {answer.confidence:.0%} · {supported} of {len(answer.sentences)} '
            f'sentences supported · {answer.timings.get("total", 0):.1f} s'
            + (f' · adapter <span class="adapter">{_e(answer.adapter)}</span>' if answer.adapter else "") + '</div>')
    return f'<div class="answer-box" id="answer">{"".join(parts)}{meta}</div>{LEGEND}'


def sources_html(answer: Answer) -> str:
    if answer.abstained:
        if not answer.closest:
            return '<div class="sources"><em>The knowledge base has no passages yet.</em></div>'
        items = "".join(_source(f"closest-{i}", f"{i}.", h.chunk, h) for i, h in enumerate(answer.closest, 1))
        return f'<div class="sources"><div class="src-title">Closest passages (not used in an answer)</div>{items}</div>'
    items = "".join(_source(f"src-{c.n}", f"[{c.n}]", c.chunk) for c in answer.citations)
    return f'<div class="sources">{items}</div>'


def _source(elem_id: str, label: str, chunk, hit: Hit | None = None) -> str:
    where = " · ".join(_e(p) for p in (chunk.title, chunk.locator.label()) if p)
    score = f" · relevance {hit.relevance:.2f}" if hit else ""
    text = re.sub(r"\n{3,}", "\n\n", chunk.text.strip())
    text = re.sub(r"^#{1,6}[ \t]+", "", text, flags=re.MULTILINE)  # the header above already names the section
    return (f'<div class="source" id="{elem_id}"><div class="src-head">{_e(label)} {where}</div>'
            f'<div class="src-doc">{_e(chunk.doc_id)}{score}</div><blockquote>{_e(text)}</blockquote></div>')
