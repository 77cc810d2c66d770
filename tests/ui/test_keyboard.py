"""Keys (``streamfer.ui.keyboard``): marker notes keep any Unicode typed, d switches the view."""

from __future__ import annotations

import os
import threading

from streamfer.ui.keyboard import KeyReader


def test_d_switches_the_view() -> None:
    switched = []
    keys = KeyReader(
        lambda: None, lambda note: None, lambda text: None, None, lambda: switched.append(1)
    )
    keys._key("d")
    assert switched == [1]


def test_marker_notes_keep_any_unicode_typed() -> None:
    """Keys arrive as UTF-8 bytes, a character sometimes split across reads."""
    notes: list[str] = []
    keys = KeyReader(on_quit=lambda: None, on_marker=notes.append, on_prompt=lambda _: None)
    read_end, write_end = os.pipe()
    typed = "mÉlodie a pleuré 😢 日本\n".encode()
    thread = threading.Thread(target=keys._loop, args=(read_end,))
    thread.start()
    try:
        for i in range(0, len(typed), 3):  # split inside multi-byte characters
            os.write(write_end, typed[i : i + 3])
        os.close(write_end)  # end of input ends the loop
        thread.join(timeout=10)
    finally:
        keys._stop.set()
        os.close(read_end)
    assert notes == ["Élodie a pleuré 😢 日本"]
