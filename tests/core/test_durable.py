"""Whole-file writes, private files and folders, and content hashes (``streamfer.core.durable``),
on real (and full) disks."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from badmedia import fill, small_disk

from streamfer.core.durable import private_dir, sha256_file, sha256_files, write_atomic
from streamfer.core.errors import OutputError
from streamfer.session.linefile import LineFile


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_files_and_folders_are_private_whatever_the_umask(tmp_path: Path, umask: int) -> None:
    old = os.umask(umask)
    try:
        folder = private_dir(tmp_path / "a" / "b")
        write_atomic(folder / "whole.txt", "x")
        lines = LineFile(folder / "log.jsonl")
        lines.append("{}")
        lines.close()
    finally:
        os.umask(old)
    assert mode(tmp_path / "a") == mode(folder) == 0o700
    assert mode(folder / "whole.txt") == mode(folder / "log.jsonl") == 0o600
    assert sorted(p.name for p in folder.iterdir()) == ["log.jsonl", "whole.txt"]  # no reserve


def test_write_atomic_replaces_whole_and_leaves_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_atomic(target, "old")
    write_atomic(target, b"new")
    assert target.read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_write_atomic_on_a_full_disk_keeps_the_old_file(tmp_path: Path) -> None:
    with small_disk(tmp_path / "disk") as disk:
        target = disk / "summary.csv"
        write_atomic(target, "old\n")
        fill(disk)
        with pytest.raises(OutputError, match=r"cannot write .*summary\.csv"):
            write_atomic(target, "x" * 100_000)
        assert target.read_text() == "old\n"
        assert sorted(p.name for p in disk.iterdir()) == ["filler", "summary.csv"]


def test_hashes_are_of_the_content(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.write_bytes(b"12")
    b.write_bytes(b"3")
    assert sha256_file(a) == "6b51d431df5d7f141cbececcf79edf3dd861c3b4069f0b11661a3eefacbba918"
    delimited, plain = sha256_files([a, b]), sha256_files([a, b], delimit=False)
    a.write_bytes(b"1")
    b.write_bytes(b"23")  # the same bytes in a row, other boundaries between the files
    assert sha256_files([a, b], delimit=False) == plain
    assert sha256_files([a, b]) != delimited
