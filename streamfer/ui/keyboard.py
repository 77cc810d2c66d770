"""Single keys from the terminal while the dashboard runs: ``q`` quits, ``m`` adds a marker,
``b`` takes everyone's own neutral afresh (``--baseline``), ``d`` switches between the plain
view and the technical details.

After ``m`` the operator may type a short note and press Enter (Esc cancels); the note goes
into the log's marker record. Only active when stdin is a terminal.
"""

from __future__ import annotations

import codecs
import os
import select
import sys
import threading
from collections.abc import Callable
from typing import Any


class KeyReader:
    """Reads keys on a thread in cbreak mode; restores the terminal on ``close``."""

    def __init__(
        self,
        on_quit: Callable[[], None],
        on_marker: Callable[[str], None],
        on_prompt: Callable[[str], None],
        on_baseline: Callable[[], None] | None = None,
        on_view: Callable[[], None] | None = None,
    ) -> None:
        self.on_quit = on_quit
        self.on_view = on_view
        self.on_baseline = on_baseline
        self.on_marker = on_marker
        self.on_prompt = on_prompt
        self._stop = threading.Event()
        self._saved: list[Any] | None = None
        self._thread: threading.Thread | None = None
        self._note: str | None = None  # the marker note being typed, if any

    @staticmethod
    def available() -> bool:
        try:
            return sys.stdin.isatty()
        except (AttributeError, ValueError):
            return False

    def start(self) -> KeyReader:
        if not self.available():
            return self
        import termios
        import tty

        fd = sys.stdin.fileno()
        self._saved = termios.tcgetattr(fd)
        tty.setcbreak(fd)
        self._thread = threading.Thread(target=self._loop, args=(fd,), daemon=True)
        self._thread.start()
        return self

    def _loop(self, fd: int) -> None:
        # UTF-8 read as it comes: a character typed (é, 日, an emoji) may arrive as several
        # bytes, split across reads; the incremental decoder keeps the partial ones
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._note = None
        while not self._stop.is_set():
            ready, _, _ = select.select([fd], [], [], 0.1)
            if not ready:
                continue
            data = os.read(fd, 64)
            if not data:
                break
            for char in decoder.decode(data):
                self._key(char)

    def _key(self, char: str) -> None:
        """One character typed: q quits, b takes everyone's baseline, d switches the view,
        m starts a marker note, then the note's text."""
        prompt = "marker note (Enter to add, Esc to cancel): "
        if self._note is None:
            if char in ("q", "Q"):
                self.on_quit()
            elif char in ("b", "B") and self.on_baseline is not None:
                self.on_baseline()
            elif char in ("d", "D") and self.on_view is not None:
                self.on_view()
            elif char in ("m", "M"):
                self._note = ""
                self.on_prompt(prompt)
            return
        if char in ("\r", "\n"):
            self.on_marker(self._note.strip())
            self._note = None
        elif char == "\x1b":
            self.on_prompt("marker cancelled")
            self._note = None
        elif char in ("\x7f", "\b"):
            self._note = self._note[:-1]
            self.on_prompt(prompt + self._note)
        elif char.isprintable() and len(self._note) < 200:
            self._note += char
            self.on_prompt(prompt + self._note)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self._saved)
            self._saved = None
