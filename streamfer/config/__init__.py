"""The settings: their types (``settings``), reading and validating ``config.toml``
(``load``), which file is read (``paths``) and writing one back (``write``)."""
