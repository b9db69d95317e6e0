"""scripts/ and .ci/run: they parse (and pass shellcheck where it is installed), CI runs exactly
the README's test command, and the set-up's source fingerprint (what decides a rebuild) follows
the contents of the files that go into the build and nothing else."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "scripts").glob("*.sh")) + [ROOT / ".ci" / "run"]


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda path: path.name)
def test_script_parses(script):
    done = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_shellcheck_is_clean():
    done = subprocess.run(["shellcheck", *map(str, SCRIPTS)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    assert "bash scripts/test.sh" in readme
    commands = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()
                if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == "bash scripts/test.sh"
    assert "export PHASEGRAD_REQUIRE_FRAMEWORKS=1" in commands


def _fingerprint(tree):
    env = dict(os.environ, PYTHON=sys.executable)
    done = subprocess.run(["bash", str(tree / "scripts" / "setup.sh"), "--fingerprint"],
                          capture_output=True, text=True, env=env, check=True)
    return done.stdout.strip()


@pytest.fixture
def tree(tmp_path):
    """A small source tree with the parts the fingerprint covers, and a copy of setup.sh."""
    (tmp_path / "scripts").mkdir()
    shutil.copy(ROOT / "scripts" / "setup.sh", tmp_path / "scripts")
    (tmp_path / "cpp" / "src").mkdir(parents=True)
    (tmp_path / "cpp" / "src" / "pad.cpp").write_text("int pad() { return 0; }\n")
    (tmp_path / "python" / "phasegrad").mkdir(parents=True)
    (tmp_path / "python" / "phasegrad" / "__init__.py").write_text("")
    (tmp_path / "CMakeLists.txt").write_text("project(phasegrad)\n")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'phasegrad'\n")
    (tmp_path / "README.md").write_text("not built\n")
    (tmp_path / ".gitignore").write_text("*.so\n__pycache__/\n")
    return tmp_path


def test_fingerprint_follows_contents_only(tree):
    first = _fingerprint(tree)
    assert len(first) == 64 and _fingerprint(tree) == first
    source = tree / "cpp" / "src" / "pad.cpp"
    os.utime(source, (1, 1))                            # touched, same contents
    (tree / "README.md").write_text("changed\n")        # not part of the build
    (tree / "python" / "phasegrad" / "_core.so").write_bytes(b"\0")  # a build product
    assert _fingerprint(tree) == first
    source.write_text("int pad() { return 1; }\n")
    assert _fingerprint(tree) != first
    source.write_text("int pad() { return 0; }\n")
    assert _fingerprint(tree) == first
    (tree / "cpp" / "src" / "new.cpp").write_text("\n")  # a new file is built too
    assert _fingerprint(tree) != first


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_fingerprint_is_the_same_in_a_git_checkout(tree):
    outside = _fingerprint(tree)
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(["git", "-C", str(tree), "add", "-A"], check=True)
    assert _fingerprint(tree) == outside
    (tree / "python" / "phasegrad" / "_core.so").write_bytes(b"\0")  # ignored
    (tree / "cpp" / "src" / "untracked.cpp").write_text("\n")        # untracked, not ignored
    inside = _fingerprint(tree)
    shutil.rmtree(tree / ".git")
    assert inside == _fingerprint(tree) != outside
