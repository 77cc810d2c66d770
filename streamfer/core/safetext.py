"""Text from outside, made safe to show: file names, markers, sources, config values.

A file name, a marker's note or an LSL name may hold anything: an escape sequence that
retitles, clears or recolours the terminal (``ESC ]2;...``, ``ESC [2J``), a carriage return
that overwrites the line before it, bidirectional controls that reorder what is shown, or
(names that are not UTF-8, read with Python's ``surrogateescape``) lone surrogates that no
encoder takes. ``printable`` turns each such character into a visible escape (``\\x1b``,
``\\n``, ``\\u202e``; a name's undecodable byte ``0xff`` shows as ``\\xff``), so what reaches
a screen, a status line, an error message or a figure is one line of plain characters.
Logs keep the text verbatim; only what is shown goes through here.
"""

from __future__ import annotations

import re

#: C0 controls, DEL, C1 controls, bidirectional embeddings/overrides/isolates, the line and
#: paragraph separators, and lone surrogates (undecodable bytes of a file name).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char in _NAMED:
        return _NAMED[char]
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape): show the byte
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}"


def printable(text: object, limit: int | None = None) -> str:
    """``text`` (``str()`` of anything) as one line without control characters.

    ``limit``: at most that many characters of the text are kept, and the rest is counted
    (``… (1,048,000 more characters)``), so a megabyte of note never floods a terminal.
    """
    value = text if isinstance(text, str) else str(text)
    cut = 0
    if limit is not None and len(value) > limit:
        cut = len(value) - limit
        value = value[:limit]
    value = _UNSAFE.sub(_escape, value)
    if cut:
        value += f"… ({cut:,} more characters)"
    return value


def has_unsafe(text: str) -> bool:
    """True when ``printable`` would change ``text`` (a control character or surrogate)."""
    return _UNSAFE.search(text) is not None


def utf8_safe(text: str) -> str:
    """``text`` with lone surrogates made visible (as ``printable`` shows them) and every other
    character kept: for text that must be encoded as UTF-8 (HTML, figures) but may keep
    line breaks."""
    return re.sub("[\ud800-\udfff]", _escape, text)
