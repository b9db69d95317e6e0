"""The command line: the demo converges, errors are one line and a non-zero exit code."""

import subprocess
import sys

import numpy as np

from phasegrad.cli import main
from phasegrad.demo import run_demo


def test_demo_recovers_the_aberration():
    lines = []
    result = run_demo(size=32, modes=8, planes=3, seed=2, report=lines.append)
    assert result.rms_error < 1e-6 < result.initial_rms_error
    assert result.relative_error < 1e-5
    assert any("iter" in line and "RMS wavefront error" in line for line in lines)


def test_demo_in_single_precision_converges_to_float32_accuracy():
    result = run_demo(size=32, modes=8, seed=2, dtype=np.float32, report=lambda _: None)
    assert result.rms_error < 1e-3


def test_cli_demo_exit_code_and_output(capsys):
    assert main(["demo", "--size", "32", "--modes", "6"]) == 0
    out = capsys.readouterr().out
    assert "converged" in out and "cost" in out


def test_cli_info(capsys):
    assert main(["info"]) == 0
    assert "FFTW fftw-3" in capsys.readouterr().out


def test_python_dash_m_runs_and_bad_input_fails_cleanly():
    ok = subprocess.run([sys.executable, "-m", "phasegrad", "info"], capture_output=True,
                        text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run([sys.executable, "-m", "phasegrad", "demo", "--size", "1"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1 and "size" in bad.stderr
