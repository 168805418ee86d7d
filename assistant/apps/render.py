"""HTML for the web page: the answer with verdict badges and clickable [n], and the sources panel."""

from __future__ import annotations

import html
import re

from assistant.core.types import (
    BACKED_VERDICTS,
    SHOWN_VERDICTS,
    VERDICT_REMOVED,
    Answer,
    Hit,
)

CSS = """
.answer-box { font-size: 1.05rem; line-height: 1.6; }
.sentence { display: block; margin: 0.35rem 0; padding: 0.2rem 0.4rem; border-left: 4px solid transparent; }
.sentence.supported { border-left-color: #2e7d32; }
.sentence.repaired { border-left-color: #f9a825; }
.sentence.unsupported { border-left-color: #c62828; background: #fdecea; }
.removed { color: #777; font-size: 0.85rem; margin-top: 0.4rem; }
.removed li { text-decoration: line-through; }
.badge { display: inline-block; font-size: 0.72rem; font-weight: 600; padding: 0 0.4rem; margin-left: 0.35rem;
         border-radius: 0.6rem; vertical-align: middle; }
.badge.supported { background: #e8f5e9; color: #1b5e20; }
.badge.repaired { background: #fff8e1; color: #8d6e00; }
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
.source.quarantined { border-color: #e65100; background: #fff3e0; }
.source .src-flag { color: #e65100; font-size: 0.8rem; font-weight: 600; }
.notice { color: #5d4037; font-size: 0.85rem; margin-top: 0.5rem; font-style: italic; }
.source mark.support { background: #fff176; padding: 0 0.1rem; border-radius: 2px; }
.turn { margin-bottom: 1.1rem; }
.turn .asked { background: #f1f3f4; border-radius: 10px; padding: 0.4rem 0.7rem; margin-bottom: 0.4rem;
               font-weight: 600; display: inline-block; }
.turn .searched { color: #666; font-size: 0.78rem; margin: -0.2rem 0 0.3rem 0; }
.turn.past .answer-box { font-size: 0.95rem; }
.turn details.past-sources summary { color: #1565c0; cursor: pointer; font-size: 0.85rem; }
.draft { border: 1px dashed #90a4ae; border-radius: 6px; padding: 0.5rem 0.7rem; }
.draft .stage { color: #37474f; font-size: 0.85rem; font-weight: 600; }
.draft .draft-text { color: #546e7a; white-space: pre-wrap; margin-top: 0.3rem; }
.empty-chat { color: #666; }
#ask-status { color: #5d4037; }
"""

LEGEND = ('<div class="legend">Each sentence is checked against the passages it cites: '
          '<span class="badge supported">supported</span> the cited passage backs it; '
          '<span class="badge repaired">repaired</span> the verifier re-cited it or put the source\'s own words '
          'in its place; <span class="badge unsupported">unsupported</span> no passage backs it — do not rely '
          'on it. Sentences no passage backs are removed and listed below the answer.</div>')


# Bidi overrides and isolates reorder what follows them ("report\u202egpj.exe" reads "reportexe.jpg"),
# and other control characters hide text: the page shows each one as a visible code instead.
_HIDDEN_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _e(text: str) -> str:
    shown = _HIDDEN_CONTROLS.sub(lambda m: f"⟨U+{ord(m.group()):04X}⟩", text)
    return html.escape(shown, quote=True)


def answer_html(answer: Answer, scope: str = "") -> str:
    """`scope` prefixes the element ids (`answer`, and `src-n` its [n] point at), so several answers on
    one page each point at their own sources; sources_html takes the same `scope`."""
    notice = f'<div class="notice" id="notice">{_e(answer.notice)}</div>' if answer.notice else ""
    if answer.abstained:
        why = f" ({_e(answer.abstain_reason)})" if answer.abstain_reason else ""
        return (f'<div class="answer-box" id="{scope}answer"><span class="sentence abstained">{_e(answer.text)}'
                '<span class="badge abstained">not in the sources</span></span>'
                f'<div class="meta">No passage in the knowledge base answers this question{why}; the closest '
                f'passages are listed on the right for you to check.</div>{notice}</div>')
    parts = []
    for s in (s for s in answer.sentences if s.verdict in SHOWN_VERDICTS):
        cites = "".join(f' <a class="cite" href="#{scope}src-{n}" data-target="{scope}src-{n}">[{n}]</a>'
                        for n in s.citations)
        note = f'<span class="note">({_e(s.note)})</span>' if s.note else ""
        parts.append(f'<span class="sentence {s.verdict}" data-verdict="{s.verdict}">{_e(s.text)}{cites}'
                     f'<span class="badge {s.verdict}">{s.verdict}</span>{note}</span>')
    shown = [s for s in answer.sentences if s.verdict in SHOWN_VERDICTS]
    supported = sum(s.verdict in BACKED_VERDICTS for s in shown)
    removed = [s for s in answer.sentences if s.verdict == VERDICT_REMOVED]
    if removed:
        items = "".join(f"<li>{_e(s.text)}</li>" for s in removed)
        parts.append(f'<details class="removed" id="removed"><summary>{len(removed)} sentence(s) removed by the '
                     f'verifier (no passage supports them)</summary><ul>{items}</ul></details>')
    meta = (f'<div class="meta">Confidence {answer.confidence:.0%} · {supported} of {len(shown)} '
            f'sentences supported · {answer.timings.get("total", 0):.1f} s'
            + (f' · adapter <span class="adapter">{_e(answer.adapter)}</span>' if answer.adapter else "")
            + (f' · escalated to <span class="model">{_e(answer.model)}</span>' if answer.escalated else "") + '</div>')
    return f'<div class="answer-box" id="{scope}answer">{"".join(parts)}{meta}{notice}</div>'


def sources_html(answer: Answer, support: dict[int, list[str]] | None = None, scope: str = "") -> str:
    """`support`: citation n → the passage sentences to highlight (`Answer.evidence_by_citation`: what the checker found)."""
    # Quarantined passages are shown, flagged with the reasons, so the user knows what was withheld.
    flagged = "".join(_source(f"{scope}quarantined-{i}", "⚠", q.hit.chunk, q.hit, q.reasons)
                      for i, q in enumerate(answer.quarantined, 1))
    if flagged:
        flagged = ('<div class="src-title">Withheld from the model: these passages contain instructions '
                   f'(possible prompt injection)</div>{flagged}')
    if answer.abstained:
        if not answer.closest:
            return f'<div class="sources"><em>The knowledge base has no usable passages.</em>{flagged}</div>'
        items = "".join(_source(f"{scope}closest-{i}", f"{i}.", h.chunk, h) for i, h in enumerate(answer.closest, 1))
        return (f'<div class="sources"><div class="src-title">Closest passages (not used in an answer)</div>{items}'
                f'{flagged}</div>')
    items = "".join(_source(f"{scope}src-{c.n}", f"[{c.n}]", c.chunk, marks=(support or {}).get(c.n, ()))
                    for c in answer.citations)
    return f'<div class="sources">{items}{flagged}</div>'


def _source(elem_id: str, label: str, chunk, hit: Hit | None = None, reasons: tuple[str, ...] = (),
            marks=()) -> str:
    where = " · ".join(_e(p) for p in (chunk.title, chunk.locator.label()) if p)
    score = f" · relevance {hit.relevance:.2f}" if hit else ""
    text = re.sub(r"\n{3,}", "\n\n", chunk.text.strip())
    text = re.sub(r"^#{1,6}[ \t]+", "", text, flags=re.MULTILINE)  # the header above already names the section
    flag = f'<div class="src-flag">flagged: {_e("; ".join(reasons))}</div>' if reasons else ""
    kind = "source quarantined" if reasons else "source"
    return (f'<div class="{kind}" id="{elem_id}"><div class="src-head">{_e(label)} {where}</div>'
            f'<div class="src-doc">{_e(chunk.doc_id)}{score}</div>{flag}<blockquote>{_highlight(text, marks)}'
            '</blockquote></div>')


def _highlight(text: str, sentences) -> str:
    """`text` escaped, with each of `sentences` found in it wrapped in <mark>; matched ignoring
    whitespace, since the passage shown has its blank lines and heading marks tidied."""
    spans = []
    for sentence in sentences:
        words = re.sub(r"^#{1,6}[ \t]+", "", sentence.strip()).split()
        m = re.search(r"\s+".join(map(re.escape, words)), text) if words else None
        if m:
            spans.append(m.span())
    out, pos = [], 0
    for start, end in sorted(spans):
        if start < pos:  # overlaps the previous mark: extend it instead
            start = pos
        if end <= start:
            continue
        out += [_e(text[pos:start]), f'<mark class="support">{_e(text[start:end])}</mark>']
        pos = end
    return "".join(out) + _e(text[pos:])
