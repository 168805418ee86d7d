"""Which HTML text a reader never sees. Hidden text is a favourite carrier for instructions planted for
a language model (a white 1-px span, a `display:none` div), so html.py drops it at parse time.

Handled: the `hidden` attribute, `aria-hidden="true"`, and inline styles or simple `<style>` rules
(`.c`, `#i`, `tag`, `tag.c`, comma lists) with `display:none`, `visibility:hidden|collapse`,
`opacity:0`, `font-size` 0 or ≤ 1px/1pt, `color` transparent or equal to the backdrop (white when
no ancestor sets a background), `clip: rect(0 0 0 0)`, `clip-path: inset(50%)`, zero `height`/
`max-height` with `overflow:hidden`, `transform: scale(0)`, and boxes or `text-indent` pushed ≥ 1000px
off-screen. Not handled (a limitation, not a guarantee): rules with combinators or pseudo-classes,
@media/@supports blocks, external style sheets, the cascade's specificity beyond "inline style wins",
and colours that are merely close to the backdrop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

WHITE = (255, 255, 255)
_NAMED = {"white": WHITE, "black": (0, 0, 0), "snow": (255, 250, 250), "ivory": (255, 255, 240),
          "whitesmoke": (245, 245, 245), "ghostwhite": (248, 248, 255)}
_DECL = re.compile(r"([a-zA-Z-]+)\s*:\s*([^;]+)")
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")
_SIMPLE = re.compile(r"^([a-zA-Z][a-zA-Z0-9]*)?((?:[.#][A-Za-z0-9_-]+)*)$")
_OFFSCREEN = -1000.0  # px: "left:-9999px" and friends


@dataclass(frozen=True)
class Context:
    """What an element inherits that decides whether its own text shows."""

    color: tuple[int, int, int] | None = None  # None: the default (black), never hidden
    transparent: bool = False
    backdrop: tuple[int, int, int] = WHITE  # nearest ancestor background, white by default
    tiny: bool = False  # font-size 0 or ≤ 1px
    invisible: bool = False  # visibility:hidden (a child may set visible again)

    @property
    def text_hidden(self) -> bool:
        return self.tiny or self.invisible or self.transparent or (self.color is not None and self.color == self.backdrop)


def declarations(style: str) -> dict[str, str]:
    """`a: b; c: d !important` → {"a": "b", "c": "d"} (lower-cased, comments removed)."""
    style = re.sub(r"/\*.*?\*/", "", style, flags=re.DOTALL)
    return {m.group(1).lower(): m.group(2).replace("!important", "").strip().lower() for m in _DECL.finditer(style)}


def hidden_rules(css: str) -> list[tuple[str | None, frozenset[str], str | None, dict[str, str]]]:
    """(tag, classes, id, declarations) for each simple selector of a top-level rule in a `<style>`
    block whose declarations matter here. Rules inside @media and other at-blocks are dropped: they
    apply only sometimes (print, narrow screens)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    css = _drop_at_blocks(css)
    out = []
    for m in _RULE.finditer(css):
        decls = declarations(m.group(2))
        if not decls:
            continue
        for selector in m.group(1).split(","):
            parsed = _simple(selector.strip())
            if parsed is not None:
                out.append((*parsed, decls))
    return out


def _drop_at_blocks(css: str) -> str:
    out, depth, i = [], 0, 0
    while i < len(css):
        if depth == 0 and css[i] == "@":
            end = css.find("{", i)
            semi = css.find(";", i)
            if end < 0 or 0 <= semi < end:  # @import ...; @charset ...;
                i = len(css) if semi < 0 else semi + 1
                continue
            depth, i = 1, end + 1
            while i < len(css) and depth:
                depth += {"{": 1, "}": -1}.get(css[i], 0)
                i += 1
            continue
        out.append(css[i])
        i += 1
    return "".join(out)


def _simple(selector: str) -> tuple[str | None, frozenset[str], str | None] | None:
    m = _SIMPLE.match(selector)
    if not m or not selector:
        return None
    parts = re.findall(r"([.#])([A-Za-z0-9_-]+)", m.group(2))
    ids = [name for kind, name in parts if kind == "#"]
    return (m.group(1).lower() if m.group(1) else None, frozenset(n for k, n in parts if k == "."),
            ids[0] if ids else None)


def element_style(el, rules) -> dict[str, str]:
    """The declarations that apply to `el`: matching `<style>` rules in order, then its inline style."""
    decls: dict[str, str] = {}
    if rules:
        tag, classes, el_id = el.tag.lower(), frozenset((el.get("class") or "").split()), el.get("id")
        for r_tag, r_classes, r_id, r_decls in rules:
            if (r_tag is None or r_tag == tag) and r_classes <= classes and (r_id is None or r_id == el_id):
                decls.update(r_decls)
    style = el.get("style")
    if style:
        decls.update(declarations(style))
    return decls


def removed(el, decls: dict[str, str]) -> bool:
    """True when the element and everything in it is out of sight, whatever its children say."""
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").strip().lower() == "true":
        return True
    if decls.get("display", "").startswith("none"):
        return True
    if _number(decls.get("opacity")) == 0:
        return True
    if re.match(r"rect\(\s*0(px)?[\s,]+0(px)?[\s,]+0(px)?[\s,]+0(px)?\s*\)", decls.get("clip", "")):
        return True
    if re.match(r"inset\(\s*(50|100)%", decls.get("clip-path", "")):
        return True
    if re.match(r"scale\(\s*0(\.0*)?\s*(,\s*0(\.0*)?\s*)?\)", decls.get("transform", "")):
        return True
    if decls.get("overflow", "").startswith(("hidden", "clip")) and any(
            _px(decls.get(k)) == 0 for k in ("height", "max-height", "width", "max-width")):
        return True
    if decls.get("position", "") in ("absolute", "fixed") and any(
            (_px(decls.get(k)) or 0) <= _OFFSCREEN for k in ("left", "top", "right")):
        return True
    return (_px(decls.get("text-indent")) or 0) <= _OFFSCREEN


def inherit(ctx: Context, decls: dict[str, str]) -> Context:
    """The context `el`'s own text and children see."""
    changes: dict = {}
    background = decls.get("background-color") or _first_colour(decls.get("background", ""))
    if background:
        rgb = colour(background)
        if rgb is not None:
            changes["backdrop"] = rgb
    if "color" in decls and decls["color"] not in ("inherit", "currentcolor", "unset"):
        value = decls["color"]
        changes["transparent"] = value == "transparent" or bool(re.match(r"rgba\(.*,\s*0(\.0*)?\s*\)$", value))
        changes["color"] = colour(value)
    if "font-size" in decls:
        size = decls["font-size"]
        px = _px(size)
        if px is not None:
            changes["tiny"] = px <= 1
        elif _number(re.sub(r"(em|rem|%)$", "", size)) == 0:
            changes["tiny"] = True
        # other relative sizes keep the parent's: 2em of a 0px parent is still 0
    if "visibility" in decls:
        changes["invisible"] = decls["visibility"].startswith(("hidden", "collapse"))
    return replace(ctx, **changes) if changes else ctx


def colour(value: str) -> tuple[int, int, int] | None:
    value = value.strip().lower()
    if value in _NAMED:
        return _NAMED[value]
    m = re.fullmatch(r"#([0-9a-f]{3,4}|[0-9a-f]{6}|[0-9a-f]{8})", value)
    if m:
        h = m.group(1)
        h = "".join(c * 2 for c in h[:3]) if len(h) <= 4 else h[:6]
        return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)
    m = re.fullmatch(r"rgba?\(\s*([\d.]+%?)[\s,]+([\d.]+%?)[\s,]+([\d.]+%?)(?:\s*[,/]\s*[\d.]+%?)?\s*\)", value)
    if m:
        return tuple(_channel(v) for v in m.groups())  # type: ignore[return-value]
    m = re.fullmatch(r"hsla?\(\s*[\d.]+(?:deg)?[\s,]+[\d.]+%[\s,]+([\d.]+)%.*\)", value)
    if m and float(m.group(1)) >= 100:
        return WHITE
    return None


def _first_colour(background: str) -> str:
    for token in re.findall(r"#[0-9a-fA-F]{3,8}|rgba?\([^)]*\)|hsla?\([^)]*\)|[a-zA-Z]+", background):
        if colour(token) is not None:
            return token
    return ""


def _channel(value: str) -> int:
    return round(float(value[:-1]) * 2.55) if value.endswith("%") else min(255, round(float(value)))


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _px(value: str | None) -> float | None:
    """A length in px (pt counted alike: both are tiny at ≤ 1), 0 for a bare 0, None otherwise."""
    if value is None:
        return None
    m = re.fullmatch(r"(-?[\d.]+)(px|pt)?", value.strip())
    if not m or (m.group(2) is None and float(m.group(1)) != 0):
        return None
    return float(m.group(1))
