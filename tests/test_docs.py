"""The figures in README.md and docs/ that commands produce sit in blocks that
``benchmarks/regenerate_docs.py`` rewrites (issue #27): every block has its generator, every
generator its blocks, and a rewrite changes only the block it names."""

from __future__ import annotations

from clips import ROOT, load_benchmark


def test_every_generated_block_has_its_generator_and_the_other_way_round() -> None:
    assert load_benchmark("regenerate_docs").check() == []


def test_a_rewrite_changes_only_the_block_it_names() -> None:
    module = load_benchmark("regenerate_docs")
    text = (
        "before\n<!-- generated: a -->\nold a\n<!-- end generated -->\nmiddle\n"
        "<!-- generated: b -->\nold b\n<!-- end generated -->\nafter\n"
    )
    new = module.replace_block(text, "a", "new a\nsecond line")
    assert new == text.replace("old a\n", "new a\nsecond line\n")
    assert module.blocks(new) == ["a", "b"]


def test_the_tables_are_drawn_from_the_commands_output() -> None:
    """The detector table from a comparison's JSON, in the order and form the page shows."""
    module = load_benchmark("regenerate_docs")
    result = {
        "name": "group photos",
        "images": 2,
        "faces": 5,
        "found": {"short": 3, "full": 5, "full 0.5": 5, "checked": 5},
        "fewer": {"short": 1, "full": 0},
        "ms": {"short": 2.61, "full": 10.83, "full 0.5": 10.9, "checked": 14.04},
    }
    table = module.detector_table({"machine": "a CPU, 2026-12-06", "sets": [result]})
    assert "Measured on a CPU, 2026-12-06" in table
    assert "| group photos | 2 | 5 | 3 / 5 / 5 / 5 | 1 / 0 | 2.6 / 10.8 / 14.0 |" in table


def test_the_readme_lists_every_exit_code() -> None:
    """Exit code 6 (a labelled data set) was missing from the README's list (issue #27)."""
    import re

    from streamfer.core import errors

    codes = {
        value.exit_code
        for value in vars(errors).values()
        if isinstance(value, type) and issubclass(value, errors.StreamferError)
    }
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Errors", 1)[1].split("\n## ", 1)[0]
    listed = {int(code) for code in re.findall(r"(?<![\w.-])([1-9]) (?=[a-z])", section)}
    assert codes - {1} <= listed, sorted(codes - listed)
