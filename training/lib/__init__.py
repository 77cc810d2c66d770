"""The training library: data, networks, augmentation, metrics, photo sets, fusion, export.

Importable pieces only, no command: the commands are ``training.steps`` and import from here;
nothing here imports a step (``tests/test_training_layout.py`` checks it).
"""
