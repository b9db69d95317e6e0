"""``phasegrad retrieve-many``: a stack solved into results.zarr and summary.json, resumed,
a bad frame (exit 1, its error reported), bad arguments (exit 2) and bad files (exit 1)."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import phasegrad as pg
from phasegrad.cli import main
from phasegrad.cli.retrieve_many import geometry

if os.environ.get("PHASEGRAD_REQUIRE_FRAMEWORKS") == "1":
    import zarr  # scripts/test.sh installed it: missing is an error, not a skip
else:
    zarr = pytest.importorskip("zarr")

B, MODES, DEFOCUS = 5, 4, (-0.5, 0.5)
GAIN, BACKGROUND = 2000.0, 3.0


@pytest.fixture(scope="module")
def stack_file(tmp_path_factory):
    """A .npy stack in camera units (gain 2000, background 3) and the true coefficients."""
    options = geometry((2, 32, 32), DEFOCUS, None, 2, 0.0, MODES, "linear")
    model = pg.PhaseRetrieval(data=np.zeros((2, 32, 32)), **options)
    truth = np.random.default_rng(5).normal(scale=0.03, size=(B, MODES))
    data = np.stack([GAIN * model.simulate(a).reshape(2, 32, 32) + BACKGROUND for a in truth])
    path = tmp_path_factory.mktemp("stack") / "stack.npy"
    np.save(path, data)
    return path, truth


def command(stack, out, *extra):
    return main(["retrieve-many", str(stack), "--scheduler", "none", "--defocus", "-0.5,0.5",
                 "--modes", str(MODES), "--chunk", "2", "--out", str(out), "--quiet",
                 "--maxiter", "400", *extra])


def test_solves_writes_and_resumes(stack_file, tmp_path, capsys):
    stack, truth = stack_file
    assert command(stack, tmp_path) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["problems"] == B and summary["failed"] == 0
    assert summary["chunks"] == 3 and summary["chunks_computed"] == 3
    results = zarr.open_group(str(tmp_path / "results.zarr"), mode="r")
    x = results["x"][:]
    np.testing.assert_allclose(x[:, :MODES], truth, atol=1e-4)
    np.testing.assert_allclose(x[:, MODES + 1], GAIN, rtol=1e-3)  # b, the gain
    np.testing.assert_allclose(x[:, MODES + 2], BACKGROUND, rtol=1e-2)  # c
    assert results["done"][:].all()
    out = capsys.readouterr().out
    assert "3 of 3 chunks computed" in out
    assert command(stack, tmp_path) == 0  # everything there: nothing computed again
    assert json.loads((tmp_path / "summary.json").read_text())["chunks_computed"] == 0
    assert command(stack, tmp_path, "--force") == 0  # afresh
    assert json.loads((tmp_path / "summary.json").read_text())["chunks_computed"] == 3


def test_a_bad_frame_fails_alone_with_exit_code_1(stack_file, tmp_path, capsys):
    stack, _ = stack_file
    data = np.load(stack)
    data[4, 0, 0, 0] = np.nan
    np.save(tmp_path / "bad.npy", data)
    assert command(tmp_path / "bad.npy", tmp_path / "out") == 1
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["failed"] == 1 and "finite" in summary["errors"]["4"]
    assert "problem 4" in capsys.readouterr().err


@pytest.mark.parametrize(("extra", "message"), [
    (["--chunk", "0"], "--chunk"),
    (["--workers", "0"], "--workers"),
    (["--method", "newton"], "--method"),
])
def test_bad_arguments_exit_2(stack_file, tmp_path, capsys, extra, message):
    stack, _ = stack_file
    with pytest.raises(SystemExit) as raised:
        command(stack, tmp_path, *extra)
    assert raised.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize(("arguments", "message"), [
    (["missing.npy"], "no such file"),
    (["STACK", "--defocus", "0"], "1 defocus value(s) for 2 plane(s)"),
    (["STACK", "--pupil-size", "8"], "more than --pupil-size"),
])
def test_bad_data_exit_1(stack_file, tmp_path, capsys, arguments, message):
    stack, _ = stack_file
    arguments = [str(stack) if a == "STACK" else str(tmp_path / a) if a.endswith(".npy")
                 else a for a in arguments]
    code = main(["retrieve-many", *arguments, "--scheduler", "none", "--out",
                 str(tmp_path / "out"), "--quiet"] + ([] if "--defocus" in arguments
                                                      else ["--defocus", "-0.5,0.5"]))
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("phasegrad retrieve-many: error: ") and message in err
