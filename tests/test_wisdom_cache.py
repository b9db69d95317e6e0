"""The per-user FFTW wisdom cache: written at exit when plans were made, read when the core loads
in the next process, never trusted blindly, switched off by PHASEGRAD_WISDOM_CACHE=0."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

# Plans a transform, then prints whether wisdom was there before any plan of this process.
SCRIPT = """
import numpy as np, phasegrad as pg
from phasegrad.native import core
before = core.export_wisdom()
had = any(text.count(b"\\n") > 2 for text in before)  # more than the header
pg.ops.dft2(np.ones((24, 24), complex))
print("had-wisdom" if had else "no-wisdom", pg.config.wisdom_cache_path())
"""


def run(cache_home, setting="1", script=SCRIPT):
    # The child imports the phasegrad this process imports (the environment is inherited).
    env = dict(os.environ, XDG_CACHE_HOME=str(cache_home), PHASEGRAD_WISDOM_CACHE=setting)
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.split(), done.stderr


def cache_files(cache_home):
    folder = cache_home / "phasegrad"
    return sorted(folder.iterdir()) if folder.exists() else []


def test_written_at_exit_and_read_by_the_next_process(tmp_path):
    (state, path), _ = run(tmp_path)
    assert state == "no-wisdom"
    assert cache_files(tmp_path) == [Path(path)]
    assert (os.stat(tmp_path / "phasegrad").st_mode & 0o777) == 0o700
    written = Path(path).read_text()
    (state, _), _ = run(tmp_path)
    assert state == "had-wisdom"
    assert Path(path).read_text() == written  # nothing new planned: left as it was


def test_switched_off(tmp_path):
    (state, path), _ = run(tmp_path, setting="0")
    assert path == "None" and state == "no-wisdom"
    assert cache_files(tmp_path) == []


def test_a_bad_setting_is_a_warning_and_no_cache(tmp_path):
    script = "import phasegrad as pg, phasegrad.ops; print('ran')"
    out, err = run(tmp_path, setting="sometimes", script=script)
    assert out == ["ran"]
    assert "PHASEGRAD_WISDOM_CACHE" in err and "RuntimeWarning" in err
    assert cache_files(tmp_path) == []


def test_a_corrupt_cache_is_ignored_with_a_warning_and_replaced(tmp_path):
    (_, path), _ = run(tmp_path)
    Path(path).write_text('{"double": 5')
    (state, _), err = run(tmp_path)
    assert state == "no-wisdom"
    assert "ignoring the FFTW wisdom cache" in err and "not a phasegrad wisdom file" in err
    (state, _), err = run(tmp_path)
    assert state == "had-wisdom" and not err


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_a_link_is_not_followed(tmp_path):
    (_, path), _ = run(tmp_path)
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me")
    os.remove(path)
    os.symlink(victim, path)
    (state, _), err = run(tmp_path)
    assert state == "no-wisdom" and "not a regular file" in err
    assert victim.read_text() == "keep me"
    assert Path(path).is_file() and not Path(path).is_symlink()  # replaced by a real cache
