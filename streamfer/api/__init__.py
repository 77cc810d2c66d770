"""The Python API's implementation; use it through ``streamfer`` (``streamfer/__init__.py``,
whose ``__all__`` names what is public and stable; docs/api.md).

``results.py``: the values the API hands out (``Result``, ``Face``, ``Verdict``...);
``settings.py``: what ``config=`` accepts; ``session.py``: ``Watch``, a session as an
iterator; ``monitor.py``: ``Monitor``, ``watch`` and ``classify_image``; ``logs.py``:
``read_log``.
"""
