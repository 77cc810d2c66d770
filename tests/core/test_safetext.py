"""Text made safe for a terminal (``streamfer.core.safetext``): what a terminal would obey is
shown escaped, printable text kept, long text cut with a count. The hostile names and notes that
reach it through the CLI: ``tests/test_hostile.py``."""

from __future__ import annotations


def test_printable_escapes_what_a_terminal_would_obey() -> None:
    from streamfer.core.safetext import printable

    assert printable("a\x1b[2Jb\nc\u202ed\udcff") == "a\\x1b[2Jb\\nc\\u202ed\\xff"
    assert printable("é 日本 😢") == "é 日本 😢"
    assert printable("x" * 10, limit=4) == "xxxx… (6 more characters)"
