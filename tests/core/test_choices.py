"""The words a user may give for a label set (``streamfer.core.choices.LabelSet``)."""

from __future__ import annotations

import pytest

from streamfer.core.choices import LabelSet


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("7", LabelSet.EMOTIONS),
        ("8", LabelSet.EMOTIONS),
        ("emotions", LabelSet.EMOTIONS),
        ("3", LabelSet.BROAD),
        ("broad", LabelSet.BROAD),
    ],
)
def test_label_set_words(word: str, expected: LabelSet) -> None:
    assert LabelSet(word) is expected
