"""Outputs are written atomically, as a set, and never through a symbolic link (issue 17, D3
and D10): an interrupt while writing left a truncated PNG or a partial set that the rerun
refused without --force; a dangling link at an output made `retrieve` create a file elsewhere
without --force, and with --force a link's target was overwritten."""

import os

import pytest

from phasegrad.arguments.outputs import OutputError, OutputSet, check_outputs, writing


def _leftovers(folder):
    return sorted(name for name in os.listdir(folder) if name.startswith("."))


def test_an_interrupt_while_writing_leaves_no_output_and_no_temporary(tmp_path):
    paths = check_outputs(tmp_path, ["a.json", "b.png"], force=False)
    with pytest.raises(KeyboardInterrupt):
        with OutputSet(paths) as outputs:
            with outputs.writing("a.json") as target:
                target.write_text("{}")
            with outputs.writing("b.png") as target:
                target.write_bytes(b"\x89PNG half")
                raise KeyboardInterrupt
    assert sorted(os.listdir(tmp_path)) == []
    check_outputs(tmp_path, ["a.json", "b.png"], force=False)  # the rerun may start


def test_an_error_in_one_output_writes_none(tmp_path):
    (tmp_path / "a.json").write_text("old")
    paths = check_outputs(tmp_path, ["a.json", "b.png"])
    with pytest.raises(OutputError, match="cannot write .*b.png: disk full"):
        with OutputSet(paths) as outputs:
            with outputs.writing("a.json") as target:
                target.write_text("new")
            with outputs.writing("b.png"):
                raise OSError(28, "disk full")
    assert (tmp_path / "a.json").read_text() == "old"
    assert _leftovers(tmp_path) == []


def test_a_complete_set_replaces_the_old_files(tmp_path):
    (tmp_path / "a.json").write_text("old")
    paths = check_outputs(tmp_path, ["a.json", "b.png"])
    with OutputSet(paths) as outputs:
        with outputs.writing("a.json") as target:
            assert target.parent == tmp_path and target.suffix == ".json"
            assert not target.exists() and target.name.startswith(".")
            target.write_text("new")
        with outputs.writing("b.png") as target:
            target.write_bytes(b"png")
    assert (tmp_path / "a.json").read_text() == "new"
    assert (tmp_path / "b.png").read_bytes() == b"png"
    assert _leftovers(tmp_path) == []


def test_a_dangling_link_counts_as_an_existing_output(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(elsewhere / "victim.json", out / "a.json")
    with pytest.raises(OutputError, match="a.json exists; use --force"):
        check_outputs(out, ["a.json"], force=False)
    assert not (elsewhere / "victim.json").exists()


def test_force_replaces_the_link_not_its_target(tmp_path):
    victim = tmp_path / "victim.json"
    victim.write_text("precious")
    out = tmp_path / "out"
    out.mkdir()
    os.symlink(victim, out / "a.json")
    paths = check_outputs(out, ["a.json"], force=True)
    with writing(paths["a.json"]) as target:
        target.write_text("output")
    assert victim.read_text() == "precious"
    assert not (out / "a.json").is_symlink()
    assert (out / "a.json").read_text() == "output"
