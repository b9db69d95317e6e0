"""FFTW plans are cached, planner effort is settable, wisdom survives a round trip."""

import json

import numpy as np
import pytest

import phasegrad as pg
from phasegrad import fft


def test_plans_are_made_once_per_key():
    fft.clear_plan_cache()
    assert fft.cached_plan_count() == 0
    x = np.ones((3, 10, 14), complex)
    with pg.threads(1):
        fft.dft2_unnormalized(x)
        fft.dft2_unnormalized(x + 1)          # same key: no new plan
        assert fft.cached_plan_count() == 1
        fft.dft2_unnormalized(x, inverse=True)  # direction is part of the key
        assert fft.cached_plan_count() == 2
        fft.dft2_unnormalized(x.astype(np.complex64))  # and precision
        assert fft.cached_plan_count() == 3
    with pg.threads(2):
        fft.dft2_unnormalized(x)              # and thread count
    assert fft.cached_plan_count() == 4
    fft.clear_plan_cache()
    assert fft.cached_plan_count() == 0


def test_misaligned_buffers_get_their_own_plan_and_the_right_answer():
    """A view starting 8 bytes into an aligned buffer has another FFTW alignment."""
    base = np.zeros(2 * 16 * 16 + 1, dtype=np.complex64)
    rng = np.random.default_rng(0)
    for offset in (0, 1):
        x = base[offset:offset + 256].reshape(16, 16)
        x[...] = rng.standard_normal((16, 16)) + 1j * rng.standard_normal((16, 16))
        y = fft.dft2_unnormalized(x)
        np.testing.assert_allclose(y, np.fft.fft2(x), rtol=1e-5, atol=1e-4)


def test_planner_effort():
    before = fft.get_planner_effort()
    try:
        for effort in ("estimate", "patient", "measure"):
            fft.set_planner_effort(effort)
            assert fft.get_planner_effort() == effort
            x = np.ones((8, 8), complex)
            assert fft.dft2_unnormalized(x)[0, 0] == 64
        with pytest.raises(ValueError, match="effort must be one of"):
            fft.set_planner_effort("exhaustive!")
    finally:
        fft.set_planner_effort(before)


def test_wisdom_round_trip(tmp_path):
    fft.dft2_unnormalized(np.ones((12, 20), complex))
    fft.dft2_unnormalized(np.ones((12, 20), np.complex64))
    path = tmp_path / "wisdom.json"
    fft.export_wisdom(path)
    record = json.loads(path.read_text())
    assert record["fftw_version"] == pg.fftw_version()
    assert record["double"].startswith("(fftw-3") and record["float"].startswith("(fftw-3")
    fft.import_wisdom(path)


def test_bad_wisdom_is_a_value_error(tmp_path):
    garbage = tmp_path / "garbage.json"
    garbage.write_text("not json")
    with pytest.raises(ValueError, match="not a phasegrad wisdom file"):
        fft.import_wisdom(garbage)
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"double": "(nonsense)", "float": "(nonsense)"}))
    with pytest.raises(ValueError, match="FFTW rejected"):
        fft.import_wisdom(wrong)


def test_wisdom_imports_first_thing_in_a_fresh_process(tmp_path):
    """Issue 17, D2: a new process imports wisdom before any transform has run (FFTW's
    threads were set up lazily, and FFTW refused threaded wisdom until then, with an error
    that blamed a version mismatch)."""
    import subprocess
    import sys

    path = tmp_path / "wisdom.json"
    with pg.threads(2):
        fft.dft2_unnormalized(np.ones((64, 64), complex))
        fft.dft2_unnormalized(np.ones((64, 64), np.complex64))
    fft.export_wisdom(path)
    script = ("import sys, phasegrad as pg; pg.fft.import_wisdom(sys.argv[1]); "
              "print('imported')")
    done = subprocess.run([sys.executable, "-c", script, str(path)], capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "imported"


def test_hostile_wisdom_files_are_refused_with_a_value_error(tmp_path):
    """Issue 17, D13: a directory, wrong JSON, deep nesting, a FIFO and /dev/zero were an
    IsADirectoryError, a pybind11 TypeError, a RecursionError, a hang and a read until memory
    ran out."""
    import os

    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"double": 1, "float": []}))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * 2048)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cases = [(tmp_path, "not a regular file"), (wrong, "not a phasegrad wisdom file"),
             (deep, "not a phasegrad wisdom file"), (fifo, "not a regular file")]
    if os.path.exists("/dev/zero"):
        cases.append(("/dev/zero", "not a regular file"))
    for path, message in cases:
        with pytest.raises(ValueError, match=message):
            fft.import_wisdom(path)
    with pytest.raises(ValueError, match="larger than 1024 bytes"):
        fft.import_wisdom(big, max_bytes=1024)
    with pytest.raises(ValueError, match="max_bytes must be a positive integer"):
        fft.import_wisdom(big, max_bytes=0)
    with pytest.raises(FileNotFoundError):
        fft.import_wisdom(tmp_path / "missing.json")


def test_export_wisdom_replaces_a_link_and_leaves_no_temporary(tmp_path):
    """Issue 17: every output is written atomically; a link at the path is replaced."""
    import os

    victim = tmp_path / "victim.json"
    victim.write_text("precious")
    link = tmp_path / "wisdom.json"
    os.symlink(victim, link)
    fft.export_wisdom(link)
    assert victim.read_text() == "precious" and not link.is_symlink()
    assert json.loads(link.read_text())["fftw_version"] == pg.fftw_version()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["victim.json", "wisdom.json"]
