"""Finding ``analyze``'s inputs (``streamfer.sources.inputs``): in folders and globs, each with a
unique and stable name."""

from __future__ import annotations

from clips import write_frame_folder

from streamfer.sources.inputs import find_inputs


def test_inputs_are_found_in_folders_and_globs_with_unique_stable_names(tmp_path):
    for folder in ("x", "y", "y/deep"):
        (tmp_path / folder).mkdir(parents=True, exist_ok=True)
    for path in ("x/s1.mp4", "y/s1.mp4", "y/deep/s2.MOV", "y/notes.txt", "z.mp4"):
        (tmp_path / path).write_bytes(b"\0")
    write_frame_folder(tmp_path / "y" / "deep" / "seq", 2)
    found = find_inputs([str(tmp_path / "x"), str(tmp_path / "y"), str(tmp_path / "*.mp4")])
    names = {i.path.relative_to(tmp_path).as_posix(): i.name for i in found}
    assert set(names) == {"x/s1.mp4", "y/s1.mp4", "y/deep/s2.MOV", "y/deep/seq", "z.mp4"}
    assert len(set(names.values())) == len(names)
    assert names["y/deep/s2.MOV"] == "deep__s2" and names["y/deep/seq"] == "deep__seq"
    assert names["x/s1.mp4"].startswith("s1-") and names["y/s1.mp4"].startswith("s1-")
    again = find_inputs([str(tmp_path / "y"), str(tmp_path / "x")])
    assert {i.name for i in again if i.path.name == "s1.mp4"} == {
        names["x/s1.mp4"],
        names["y/s1.mp4"],
    }
    assert [i.is_folder for i in found if i.path.name == "seq"] == [True]
