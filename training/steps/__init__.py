"""The training commands, one module each, run as ``python -m training.steps.NAME``.

Each has a ``main(argv) -> int``; a step imports the library (``training.lib``), never another
step (``tests/test_training_layout.py`` checks it). ``training/README.md`` lists them in order.
"""
