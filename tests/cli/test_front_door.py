"""The front door of the command line: the parser, --version, --quiet, exit codes and one-line
errors (unwritable --out, outputs that fail while written, not enough memory), internal errors
that keep their traceback, the bench pass-through, what importing loads."""

import errno
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest

import phasegrad as pg
from phasegrad.arguments.options import Parser
from phasegrad.cli import main


def _one_line_error(capsys, command, *words):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"phasegrad {command}: error: "), err
    for word in words:
        assert word in err, err
    return err


@pytest.mark.parametrize("command", ["demo", "retrieve", "hologram", "info"])
def test_help_of_every_command(command, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: phasegrad {command}")
    if command != "info":
        assert "--out" in out and "--quiet" in out


def test_bad_arguments_exit_2(capsys):
    for args in (["hologram", "--method", "sgd"], ["retrieve", "x.npy", "--defocus", "a,b"],
                 ["demo", "--noise", "-1"],
                 # were ValueErrors of the library after parsing (exit 2 only by the catch-all
                 # that also mislabelled internal errors): now the parser's
                 ["hologram", "--lr", "0"], ["demo", "--noise", "1e300"]):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 2
        assert capsys.readouterr().err.count("\n") == 1


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


def test_import_phasegrad_cli_loads_no_figures_bars_scipy_or_core():
    code = ("import sys, phasegrad, phasegrad.cli; print(sorted(m for m in ('matplotlib', "
            "'tqdm', 'PIL', 'scipy', 'phasegrad._core') if m in sys.modules))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "[]"


def test_progress_bar_only_on_a_terminal(capsys):
    from phasegrad.cli.progress import Progress

    quiet = Progress(10, "test")                    # captured stdout: not a terminal
    quiet.line("a line")
    quiet.update(cost="1")
    quiet.close()
    captured = capsys.readouterr()
    assert captured.out == "a line\n" and captured.err == ""


def test_progress_bar_on_request_goes_to_stderr(capsys):
    from phasegrad.cli.progress import Progress

    bar = Progress(3, "test", enabled=True)         # what a terminal gets
    bar.line("a line")
    bar.update(3, cost="1")
    bar.close()
    captured = capsys.readouterr()
    assert "a line" in captured.out and "%|" not in captured.out
    assert "test:" in captured.err


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"phasegrad {pg.__version__}\n"


def test_no_command_and_unknown_options_are_one_line_exit_2(capsys):
    for args, prog in (([], "phasegrad"), (["demo", "--bogus"], "phasegrad demo"),
                       (["info", "extra"], "phasegrad info")):
        with pytest.raises(SystemExit) as exit_info:
            main(args)
        assert exit_info.value.code == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith(f"{prog}: error: "), err


def test_parser_is_public_and_reads_negative_lists(capsys):
    parser = Parser(prog="tool")
    parser.add_argument("--defocus")
    assert parser.parse_args(["--defocus", "-0.5,0,0.5"]).defocus == "-0.5,0,0.5"
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["--nope"])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err == "tool: error: unrecognized arguments: --nope\n"


# -- --quiet -------------------------------------------------------------------------------
HOLOGRAM = ["hologram", "--size", "16", "--iters", "4", "--force"]


@pytest.mark.parametrize("where", ["global", "command"])
def test_quiet_prints_only_the_final_line(tmp_path, capsys, where):
    out = ["--out", str(tmp_path)]
    args = ["--quiet", *HOLOGRAM, *out] if where == "global" else [*HOLOGRAM, *out, "-q"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    lines = captured.out.splitlines()
    assert len(lines) == 1 and lines[0].startswith("phasegrad hologram: adam PSNR "), lines
    assert (tmp_path / "hologram.json").exists()            # quiet, not idle
    assert main([*HOLOGRAM, *out]) == 0                     # without it: every iteration
    assert len(capsys.readouterr().out.splitlines()) > 4


def test_quiet_demo_and_retrieve_keep_their_final_line(tmp_path, capsys):
    assert main(["demo", "--size", "16", "--modes", "4", "--quiet", "--out",
                 str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("phasegrad demo: Levenberg-Marquardt converged"), lines


def test_quiet_progress_has_neither_bar_nor_lines(capsys):
    from phasegrad.cli.progress import Progress

    with Progress(3, "test", enabled=True, quiet=True) as progress:   # even on a terminal
        progress.line("a line")
        progress.update(3, cost="1")
    assert capsys.readouterr() == ("", "")


# -- outputs that cannot be written: one line, exit 1, before anything runs ------------------
def _must_not_run(*args, **kwargs):
    raise AssertionError("the command ran although its outputs cannot be written")


def _unwritable_folders(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    folders = [(blocker, "not a directory"), (blocker / "sub", "not a directory")]
    if Path("/proc").is_dir():          # a folder nobody, root included, can write in
        folders += [(Path("/proc"), "cannot write"), (Path("/proc/phasegrad-x/y"),
                                                      "cannot write")]
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        folders.append((locked / "out", "cannot write"))
    return folders


@pytest.mark.parametrize("command", ["demo", "retrieve", "hologram"])
def test_unwritable_out_is_one_line_before_anything_runs(tmp_path, capsys, monkeypatch,
                                                         command):
    import phasegrad.cli.demo
    import phasegrad.cli.hologram
    import phasegrad.cli.io
    import phasegrad.cli.retrieve

    monkeypatch.setattr(phasegrad.cli.demo, "run_demo", _must_not_run)
    monkeypatch.setattr(phasegrad.cli.retrieve, "solve", _must_not_run)
    monkeypatch.setattr(phasegrad.cli.hologram, "_target", _must_not_run)
    monkeypatch.setattr(phasegrad.cli.io, "read_stack", _must_not_run)
    # retrieve's input does not exist either: the output is what is checked first
    args = {"demo": ["demo", "--maxiter", "100000"], "retrieve": ["retrieve", "missing.npy"],
            "hologram": ["hologram", "--iters", "100000"]}[command]
    for folder, words in _unwritable_folders(tmp_path):
        assert main([*args, "--out", str(folder)]) == 1
        _one_line_error(capsys, command, "--out", words)
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("command, output", [("demo", "demo.png"),
                                             ("retrieve", "coefficients.csv"),
                                             ("hologram", "hologram_phase.npy")])
def test_output_name_taken_by_a_folder_is_one_line_before_anything_runs(
        tmp_path, capsys, monkeypatch, command, output):
    import phasegrad.cli.demo
    import phasegrad.cli.hologram
    import phasegrad.cli.io
    import phasegrad.cli.retrieve

    monkeypatch.setattr(phasegrad.cli.demo, "run_demo", _must_not_run)
    monkeypatch.setattr(phasegrad.cli.hologram, "_target", _must_not_run)
    monkeypatch.setattr(phasegrad.cli.io, "read_stack", _must_not_run)
    (tmp_path / output).mkdir()      # --force cannot overwrite a folder: an error all the same
    args = {"demo": ["demo"], "retrieve": ["retrieve", "missing.npy"],
            "hologram": ["hologram"]}[command]
    assert main([*args, "--out", str(tmp_path), "--force"]) == 1
    _one_line_error(capsys, command, f"cannot write {tmp_path / output}: it is a directory")


# -- an output that fails while it is written: one line naming it, exit 1 ---------------------
def _fails(error):
    def fail(*args, **kwargs):
        raise error

    return fail


@pytest.mark.parametrize("where", ["figure", "json"])
def test_an_output_that_cannot_be_written_after_the_fit_is_one_line(tmp_path, capsys,
                                                                     monkeypatch, where):
    import phasegrad.cli.io
    import phasegrad.cli.plots

    if where == "figure":   # a full disk: the OSError names no file; the line does
        monkeypatch.setattr(phasegrad.cli.plots, "phase_retrieval_figure",
                            _fails(OSError(errno.ENOSPC, "No space left on device")))
        name, reason = "demo.png", "No space left on device"
    else:                   # a read-only file that --force cannot overwrite (root included)
        monkeypatch.setattr(phasegrad.cli.io, "write_json", _fails(PermissionError(
            errno.EACCES, "Permission denied", str(tmp_path / "demo.json"))))
        name, reason = "demo.json", "Permission denied"
    assert main(["demo", "--size", "16", "--modes", "4", "-q", "--force", "--out",
                 str(tmp_path)]) == 1
    _one_line_error(capsys, "demo", f"cannot write {tmp_path / name}: {reason}")


def test_hologram_output_that_cannot_be_written_is_one_line(tmp_path, capsys, monkeypatch):
    import phasegrad.cli.plots

    monkeypatch.setattr(phasegrad.cli.plots, "slm_phase_png", _fails(IsADirectoryError(
        errno.EISDIR, "Is a directory", str(tmp_path / "hologram_phase_8bit.png"))))
    assert main([*HOLOGRAM, "-q", "--out", str(tmp_path)]) == 1
    _one_line_error(capsys, "hologram",
                    f"cannot write {tmp_path / 'hologram_phase_8bit.png'}: Is a directory")


def test_other_os_errors_are_one_line(capsys, monkeypatch):
    import phasegrad.cli.info

    monkeypatch.setattr(phasegrad.cli.info, "run", _fails(OSError(
        errno.EIO, "Input/output error", "/data/psfs.npy")))
    assert main(["info"]) == 1
    _one_line_error(capsys, "info", "/data/psfs.npy", "Input/output error")


# -- a bug is a bug: internal errors keep their traceback --------------------------------------
@pytest.mark.parametrize("error", [ValueError("Input array could not be made C-contiguous"),
                                   TypeError("unsupported operand"), RuntimeError("internal")])
def test_internal_errors_are_not_bad_arguments(capsys, monkeypatch, error):
    import phasegrad.cli.info

    monkeypatch.setattr(phasegrad.cli.info, "run", _fails(error))
    with pytest.raises(type(error), match=str(error)):
        main(["info"])
    assert capsys.readouterr().err == ""   # not relabelled "error: ..." with exit code 2


# -- not enough memory: one line, exit 1 -----------------------------------------------------
# 10^8 pixels a side: an (n, n) array of 8-byte numbers is 71 PiB, beyond any address space.
@pytest.mark.parametrize("command", ["demo", "hologram"])
def test_size_too_large_to_allocate_is_one_line(tmp_path, capsys, command):
    out = tmp_path / "out"
    assert main([command, "--size", str(10 ** 8), "--out", str(out)]) == 1
    _one_line_error(capsys, command, "not enough memory", "--size")
    assert not out.exists()  # nothing written


def test_memory_error_from_a_command_is_one_line(capsys, monkeypatch):
    import phasegrad.cli.info

    def exhausted(args):
        raise MemoryError("std::bad_alloc")  # what the C++ core raises

    monkeypatch.setattr(phasegrad.cli.info, "run", exhausted)
    assert main(["info"]) == 1
    assert _one_line_error(capsys, "info", "not enough memory", "std::bad_alloc")


# -- bench: everything after the command goes to phasegrad.bench.main ------------------------
@pytest.fixture
def fake_bench(monkeypatch):
    """A stand-in for phasegrad.bench that records its argv (the CLI's side of the contract,
    whether or not the suite is in this tree)."""
    seen = []

    def bench_main(argv=None):
        seen.append(argv)
        return 3

    monkeypatch.setitem(sys.modules, "phasegrad.bench", types.SimpleNamespace(main=bench_main))
    return seen


def test_bench_passes_every_argument_through(fake_bench, capsys):
    args = ["--quick", "--sizes", "-1,16", "--out", "x", "--help", "--quiet", "positional"]
    assert main(["bench", *args]) == 3           # the suite's exit code
    assert main(["bench"]) == 3
    assert main(["--quiet", "bench", "--quick"]) == 3   # the global --quiet is handed on
    assert main(["-q", "bench"]) == 3
    assert fake_bench == [args, [], ["--quiet", "--quick"], ["--quiet"]]
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("where", ["global", "command"])
def test_quiet_bench_prints_the_tables_and_what_it_wrote(tmp_path, capsys, where):
    bench = ["bench", "--quick", "--sizes", "16", "--impls", "reference", "--workloads",
             "hologram", "--out", str(tmp_path)]
    assert main(["-q", *bench] if where == "global" else [*bench, "-q"]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0].startswith("Time of one value_and_grad"), lines     # no versions, progress
    assert not any(line.startswith(("phasegrad ", "threads ", "  hologram ")) for line in lines)
    assert lines[-2:] == [f"wrote {tmp_path / 'bench_models.json'}",
                          f"wrote {tmp_path / 'bench_models.png'}"]
    assert captured.err == ""


def test_bench_without_the_suite_is_one_line(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "phasegrad.bench", None)   # import fails: not installed
    assert main(["bench", "--quick"]) == 1
    _one_line_error(capsys, "bench", "phasegrad.bench", "not installed")


def test_bench_help_is_the_suites():
    done = subprocess.run([sys.executable, "-m", "phasegrad", "bench", "--help"],
                          capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr
    for option in ("--quick", "--out"):
        assert option in done.stdout


# -- what importing loads ---------------------------------------------------------------------
def test_the_library_never_imports_the_cli():
    code = ("import sys, phasegrad.models, phasegrad.optimize, phasegrad.ops, "
            "phasegrad.reference, phasegrad.pupils, phasegrad.check, phasegrad.fft, "
            "phasegrad.config, phasegrad.models.synthetic; "
            "print(sorted(m for m in sys.modules if m.startswith('phasegrad.cli')))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert run.stdout.strip() == "[]"
