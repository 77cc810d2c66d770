"""Silencing native chatter on fd 2 silences only that: Python's writes (Rich) go through."""

from __future__ import annotations

import subprocess
import sys

from clips import cli_env

SCRIPT = """
import os, sys, threading
from streamfer.core.quiet import quiet_stderr

inside = threading.Event()
done = threading.Event()

def redraw():  # what Rich's refresh thread does while the main thread is in native code
    inside.wait()
    sys.stderr.write("progress 21 of 46\\n")
    done.set()

threading.Thread(target=redraw).start()
with quiet_stderr():
    os.write(2, b"I0000 native chatter\\n")
    inside.set()
    done.wait(30)
    os.write(2, b"E0000 a real native error\\n")
sys.stderr.write("after\\n")
"""


def test_python_writes_survive_while_native_chatter_is_silenced() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], env=cli_env(), capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "progress 21 of 46" in lines and "after" in lines
    assert "E0000 a real native error" in lines  # replayed: it looks like an error
    assert not any("chatter" in line for line in lines)
