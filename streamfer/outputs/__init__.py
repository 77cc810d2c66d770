"""Where a session's results go besides the log: Lab Streaming Layer (``lsl.py``)."""
