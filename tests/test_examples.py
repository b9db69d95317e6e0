"""Every script in examples/ runs with --quick in a subprocess and prints what it promises.

The thresholds are far from the values the quick runs print (hologram: Adam 24 dB, GS 22.9 dB;
Zernike: relative coefficient error 4e-3), so they check that the examples work, not timings.
"""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import phasegrad

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"


def _run(name, *args):
    # The child imports the phasegrad this process imported (an installed build, or the source
    # tree with its compiled core), never the bare source tree of a checkout without one.
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(Path(phasegrad.__file__).resolve().parents[1])]
        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.setdefault("MPLBACKEND", "Agg")
    done = subprocess.run([sys.executable, str(EXAMPLES / name), *args], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _number(pattern, text):
    match = re.search(pattern, text)
    assert match, f"{pattern!r} not in:\n{text}"
    return float(match.group(1))


def test_every_example_is_tested():
    assert {p.name for p in EXAMPLES.glob("*.py")} == {
        "hologram_question.py", "zernike_retrieval_scipy.py", "torch_and_jax.py",
        "hologram_planes_colour.py", "motivating_case.py", "broadband_snapped.py"}


@pytest.mark.parametrize("name", ["hologram_question.py", "zernike_retrieval_scipy.py",
                                  "torch_and_jax.py", "hologram_planes_colour.py",
                                  "motivating_case.py", "broadband_snapped.py"])
def test_help(name):
    assert "--quick" in _run(name, "--help")


def test_hologram_question(tmp_path):
    out = _run("hologram_question.py", "--quick", "--out", str(tmp_path))
    assert _number(r"hand-derived gradient vs phasegrad's exact one: cosine ([\d.]+)",
                   out) > 0.999999
    assert _number(r"Adam, exact gradient\s+40\s+([\d.]+)", out) >= 22.0
    assert _number(r"Gerchberg-Saxton\s+40\s+([\d.]+)", out) >= 20.0
    assert _number(r"Adam, float32 model\s+40\s+([\d.]+)", out) >= 22.0
    assert _number(r"Adam, hand-derived\s+40\s+([\d.]+)", out) >= 22.0
    if importlib.util.find_spec("torch") is not None:
        assert _number(r"float64: .*gradient relative difference ([\d.e+-]+)", out) < 1e-10
        assert _number(r"float32: .*gradient relative difference ([\d.e+-]+)", out) < 1e-4
        assert _number(r"Adam, the tape's objective \(torch\)\s+40\s+([\d.]+)", out) < 12.0
    else:
        assert "PyTorch not installed" in out
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "hologram_question.png").stat().st_size > 0
    else:
        assert "matplotlib not installed" in out


def test_zernike_retrieval_scipy():
    out = _run("zernike_retrieval_scipy.py", "--quick")
    assert "iter    1" in out
    assert _number(r"coefficient error: .*relative ([\d.e+-]+)", out) <= 0.02
    assert _number(r"RMS wavefront error: [\d.e+-]+ -> ([\d.e+-]+) waves", out) <= 5e-3


def test_torch_and_jax():
    out = _run("torch_and_jax.py", "--quick")
    if importlib.util.find_spec("torch") is not None:
        assert _number(r"torch.optim.Adam.*PSNR ([\d.]+) dB", out) >= 18.0
    else:
        assert "torch: not installed" in out
    if importlib.util.find_spec("jax") is not None:
        assert _number(r"value_and_grad: relative difference ([\d.e+-]+)", out) < 1e-10
        assert _number(r"coefficient relative error 1 -> ([\d.e+-]+)", out) < 0.5
    else:
        assert "jax: not installed" in out


def test_hologram_planes_colour(tmp_path):
    out = _run("hologram_planes_colour.py", "--quick", "--out", str(tmp_path))
    before, after = (_number(r"PSNR ([\d.]+) -> [\d.]+ dB\n", out),
                     _number(r"PSNR [\d.]+ -> ([\d.]+) dB\n", out))
    assert after > before + 1.0
    assert _number(r"\s+450 nm\s+([\d.]+)", out) > 8.0
    assert (tmp_path / "hologram_planes_colour.png").exists() or "no figure" in out


def test_motivating_case(tmp_path):
    out = _run("motivating_case.py", "--quick", "--out", str(tmp_path))
    assert "chosen by BIC: binary" in out
    for name in ("point", "binary", "resolved", "extended"):
        assert re.search(rf"^{name}\s+[\d.e+]+\s+\d+\s", out, re.MULTILINE), name
    assert _number(r"separation [\d.]+ detector pixels \(true 1.5, error ([\d.]+)\)",
                   out) <= 0.1
    assert abs(_number(r"flux ratio ([\d.]+) \(true 0.5\)", out) - 0.5) <= 0.05
    assert _number(r"aberrations: RMS error [\d.]+ -> ([\d.]+) waves", out) <= 0.02
    if importlib.util.find_spec("matplotlib") is not None:
        assert (tmp_path / "motivating_case.png").stat().st_size > 0
    else:
        assert "matplotlib not installed" in out


def test_motivating_case_with_one_star_chooses_one(tmp_path):
    out = _run("motivating_case.py", "--quick", "--truth", "single", "--out", str(tmp_path))
    assert "chosen by BIC: point" in out
    assert _number(r"aberrations: RMS error [\d.]+ -> ([\d.]+) waves", out) <= 0.02


def test_broadband_snapped():
    out = _run("broadband_snapped.py", "--quick")
    fits = re.findall(r"^  (even 5|snapped 5|snapped 9): bands (.*)\n    fun_and_jac .* "
                      r"Levenberg-Marquardt (converged|did NOT converge) .* RMS wavefront "
                      r"error ([\d.e+-]+) -> ([\d.e+-]+) waves$", out, re.MULTILINE)
    assert [fit[0] for fit in fits] == ["even 5", "snapped 5", "snapped 9"], out
    for name, bands, converged, before, after in fits:
        assert converged == "converged", name
        assert float(after) < 0.01 * float(before), name
        kinds = re.findall(r"[\d.]+ (chirp-z|fft|periodic)", bands)
        # The snapped spectra run every band as a plain FFT; the even one off the reference
        # by chirp-z.
        want = {"fft", "periodic"} if name.startswith("snapped") else {"fft", "chirp-z"}
        assert set(kinds) == want, (name, bands)
