"""Bytes of a text file → str: a byte-order mark first, then UTF-8, then UTF-16/32 recognised by where
their NUL bytes fall, then charset-normalizer's guess with Western (cp1252) preferred among candidates
that read about as well."""

from __future__ import annotations

import codecs

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SAMPLE = 8192
# How much worse charset-normalizer's "chaos" (share of odd characters) may be for cp1252 than for its
# first choice and still win: on short Western text the detector often ranks cp775/cp437/cp1250 first
# by a few hundredths, decoding "naïve" as "naďve".
_WESTERN_SLACK = 0.1


class NotText(ValueError):
    """The bytes are not text in any encoding recognised; the message says why."""


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding name). Raises NotText for binary data or bytes no encoding explains."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return _strict(data[len(bom):], name), name
    if b"\x00" in data[:_SAMPLE]:
        name = _wide_unicode(data[:_SAMPLE])
        if name is None:
            raise NotText("file looks binary (it contains NUL bytes), expected text; "
                          "convert it to .txt/.md/.html or use a connector for its format")
        return _strict(data, name), name
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return _guess(data)


def _strict(data: bytes, name: str) -> str:
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        raise NotText(f"file starts like {name} text but byte {exc.start} is not valid {name}; "
                      "re-save it as UTF-8") from None


def _wide_unicode(sample: bytes) -> str | None:
    """UTF-32 or UTF-16 without a byte-order mark, from the NUL pattern: text that is mostly Latin
    script has a zero high byte in every code unit, so NULs fall on every other byte (every 3 of 4 for
    UTF-32) on one side only. Binary data scatters them."""
    n = len(sample) - len(sample) % 4
    if n < 4:
        return None
    for name, zero, letter in (("utf-32-le", (2, 3), 0), ("utf-32-be", (0, 1), 3)):
        if all(_share_nul(sample[:n], i, 4) > 0.95 for i in zero) and _share_nul(sample[:n], letter, 4) < 0.05:
            return name
    even, odd = _share_nul(sample[:n], 0, 2), _share_nul(sample[:n], 1, 2)
    if odd > 0.6 and even < 0.05:
        return "utf-16-le"
    if even > 0.6 and odd < 0.05:
        return "utf-16-be"
    return None


def _share_nul(sample: bytes, start: int, step: int) -> float:
    part = sample[start::step]
    return part.count(0) / max(1, len(part))


def _guess(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    western = from_bytes(data, cp_isolation=["cp1252"]).best() if best is None or best.encoding != "cp1252" else best
    if western is not None and (best is None or western.chaos <= best.chaos + _WESTERN_SLACK):
        best = western
    if best is None:
        raise NotText("file is neither UTF-8 nor any text encoding that could be detected; re-save it as UTF-8")
    return str(best), best.encoding
