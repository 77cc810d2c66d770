"""The sub-commands: parsers in ``parsers.py`` (light), one handler module per command."""
