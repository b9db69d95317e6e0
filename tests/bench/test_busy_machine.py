"""The busy-machine bench (phasegrad.bench.busy_machine): what it compares and how it reads.

No speed is asserted: these check that each child gets the environment its setting names, that
the ratio is taken round by round against ``OPENBLAS_NUM_THREADS=1``, that the settings' order
turns, and one small run end to end.
"""

import json

import pytest

from phasegrad.bench import busy_machine, harness


def test_children_get_the_setting_and_a_shared_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "7")
    monkeypatch.setenv("PHASEGRAD_LIMIT_BLAS", "0")
    default = harness.child_environment({}, str(tmp_path))
    assert "OPENBLAS_NUM_THREADS" not in default and "PHASEGRAD_LIMIT_BLAS" not in default
    assert default["XDG_CACHE_HOME"] == str(tmp_path)
    assert default["PHASEGRAD_WISDOM_CACHE"] == "1"
    single = harness.child_environment(busy_machine.SETTINGS["OPENBLAS_NUM_THREADS=1"],
                                       str(tmp_path))
    assert single["OPENBLAS_NUM_THREADS"] == "1"


def test_ratios_are_taken_round_by_round():
    samples = {"lbfgs": {"default": [(2.0, 1.0), (3.0, 1.0), (10.0, 1.0)],
                         "OPENBLAS_NUM_THREADS=1": [(1.0, 1.0), (3.0, 1.0), (4.0, 1.0)]}}
    rows, ratios = busy_machine._rows(samples, "idle")
    median, low, high = ratios["lbfgs"]
    assert (median, low, high) == (2.0, 1.0, 2.5)  # per round: 2, 1, 2.5
    assert [r["setting"] for r in rows] == ["default", "OPENBLAS_NUM_THREADS=1"]
    assert rows[0]["wall_ms"] == "3000.0"


def test_the_order_of_the_settings_turns(monkeypatch):
    seen = []
    monkeypatch.setattr(busy_machine, "_run", lambda command, env: seen.append(
        env.get("OPENBLAS_NUM_THREADS")) or (1.0, 1.0))
    busy_machine._fights({"lbfgs": ["python", "-c", ""]}, busy_machine.SETTINGS, 2, "/tmp")
    assert seen == [None, "1", "1", None]


@pytest.mark.parametrize("arguments", [["--cases", "lbfgs,nothing"], ["--rounds", "0"]])
def test_bad_arguments(arguments, capsys):
    with pytest.raises(SystemExit) as stop:
        busy_machine.main(arguments)
    assert stop.value.code == 2
    assert "--" in capsys.readouterr().err


def test_a_small_run_end_to_end(tmp_path, capsys):
    out = tmp_path / "busy.json"
    assert busy_machine.main(["--cases", "broadband", "--rounds", "1", "--load", "0",
                              "--first-size", "8", "--first-one-core", "--json",
                              str(out)]) == 0
    printed = capsys.readouterr().out
    assert "default / OPENBLAS_NUM_THREADS=1" in printed and "first/warm" in printed
    written = json.loads(out.read_text())
    assert {row["setting"] for row in written["results"]} == set(busy_machine.SETTINGS)
    assert set(written["first_call"]) == {"no cache", "wisdom cached"}
    assert all(len(v) == 9 for v in written["first_call"].values())


@pytest.mark.parametrize("model, title", [("imaging", "with an object"),
                                          ("hologram", "Hologram, 16^2"),
                                          ("pd", "PhaseDiversity, n = 8"),
                                          ("planes", "3 planes at 2-4 cm, 16^2")])
def test_the_first_call_of_other_models(model, title, tmp_path, capsys):
    out = tmp_path / "first.json"
    assert busy_machine.main(["--cases", "none", "--rounds", "1", "--first-size", "8",
                              "--first-model", model, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert title in printed and "faults: first" in printed
    first = json.loads(out.read_text())["first_call"]["wisdom cached"]
    assert len(first) == 9 and all(t > 0 for t in first[1:4])
    assert all(count >= 0 and count == int(count) for count in first[7:])
