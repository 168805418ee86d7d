"""Hidden HTML text is dropped at parse time (issue 15): planted instructions must not reach the index."""

from __future__ import annotations

import re

import pytest

from assistant.connectors.html import html_to_text


def _text(body: str, head: str = "") -> str:
    return html_to_text(f"<html><head><title>T</title>{head}</head><body>{body}</body></html>")[1]


@pytest.mark.parametrize("hidden", [
    "<!-- PAYLOAD -->",
    "<template><p>PAYLOAD</p></template>",
    "<div hidden>PAYLOAD</div>",
    '<span aria-hidden="true">PAYLOAD</span>',
    '<span style="display:none">PAYLOAD</span>',
    '<span style="DISPLAY: NONE !important">PAYLOAD</span>',
    '<span style="visibility:hidden">PAYLOAD</span>',
    '<span style="opacity:0">PAYLOAD</span>',
    '<span style="opacity: 0.0">PAYLOAD</span>',
    '<span style="font-size:0">PAYLOAD</span>',
    '<span style="font-size:1px">PAYLOAD</span>',
    '<span style="font-size:0.5pt">PAYLOAD</span>',
    '<span style="color:#fff">PAYLOAD</span>',
    '<span style="color:#FFFFFF">PAYLOAD</span>',
    '<span style="color:white">PAYLOAD</span>',
    '<span style="color:rgb(255, 255, 255)">PAYLOAD</span>',
    '<span style="color:rgba(255,255,255,1)">PAYLOAD</span>',
    '<span style="color:transparent">PAYLOAD</span>',
    '<span style="color:#fff;font-size:1px">PAYLOAD</span>',  # the white 1-px span
    '<div style="background:#000"><span style="color:#000">PAYLOAD</span></div>',  # same as its backdrop
    '<div style="color:white"><p>PAYLOAD <b>PAYLOAD</b></p></div>',  # colour is inherited
    '<p style="position:absolute;left:-9999px">PAYLOAD</p>',
    '<p style="position: fixed; top: -5000px">PAYLOAD</p>',
    '<p style="text-indent:-9999px">PAYLOAD</p>',
    '<p style="position:absolute;clip:rect(0,0,0,0)">PAYLOAD</p>',
    '<p style="height:0;overflow:hidden">PAYLOAD</p>',
    '<p style="transform:scale(0)">PAYLOAD</p>',
    '<h2>Dosage <span style="display:none">PAYLOAD</span></h2>',  # inside a heading too
])
def test_hidden_text_is_dropped(hidden):
    text = _text(f"<p>Take one tablet daily.</p>{hidden}<p>See your doctor.</p>")
    assert "PAYLOAD" not in text
    assert "Take one tablet daily." in text and "See your doctor." in text


@pytest.mark.parametrize("visible", [
    '<span style="color:white;background-color:#333">SHOWN</span>',
    '<div style="background:black"><p style="color:#fff">SHOWN</p></div>',
    '<span style="color:#f00">SHOWN</span>',
    '<p style="font-size:0">gap<span style="font-size:14px">SHOWN</span></p>',
    '<p style="visibility:hidden">x<b style="visibility:visible">SHOWN</b></p>',
    '<p style="position:absolute;left:10px">SHOWN</p>',
    '<p style="opacity:0.5">SHOWN</p>',
    '<p class="print-only">SHOWN</p>',
    '<p><span style="color:white">hidden</span> SHOWN tail</p>',  # a hidden element's tail is visible
])
def test_visible_text_is_kept(visible):
    text = _text(visible, "<style>@media print { .print-only { display: none } }</style>")
    assert "SHOWN" in text


def test_classes_and_ids_hidden_by_a_style_block():
    head = ("<style>/* planted */ .sr, #note { display: none } span.ghost{color:#ffffff}"
            " p.small, .tiny { font-size: 0px } .menu:hover { display: none } div > .kid { display:none }</style>")
    body = ('<p class="sr">PAYLOAD</p><div id="note">PAYLOAD</div><span class="x ghost">PAYLOAD</span>'
            '<p class="small">PAYLOAD</p><em class="tiny">PAYLOAD</em><p class="menu">Menu SHOWN</p>'
            '<div><p class="kid">Kid SHOWN</p></div><span class="ghostly">Ghostly SHOWN</span>')
    text = _text(body, head)
    assert "PAYLOAD" not in text
    # Pseudo-classes and combinators are not evaluated (documented limitation): such text stays.
    assert re.findall(r"\w+ SHOWN", text) == ["Menu SHOWN", "Kid SHOWN", "Ghostly SHOWN"]


def test_inline_style_showing_an_element_overrides_a_hiding_class():
    assert "SHOWN" in _text('<p class="h" style="display:block">SHOWN</p>', "<style>.h{display:none}</style>")
