"""bench.broadband's --snapped option: the five wavelengths snapped by pg.snap_wavelengths at
each size, in the table and in the child processes."""

import pytest

import phasegrad as pg
from phasegrad.bench import broadband


def test_snapped_wavelengths_per_size():
    assert broadband.wavelengths_for(64) == broadband.WAVELENGTHS
    assert broadband.wavelengths_for(64, snapped=True) == pg.snap_wavelengths(
        broadband.WAVELENGTHS, 1.0, 128, 64) == (0.78125, 0.875, 1.0, 1.09375, 1.171875)


@pytest.mark.parametrize("snapped", [False, True])
def test_main_runs_and_prints_the_ratios(capsys, snapped):
    argv = ["--sizes", "8,12", "--rounds", "1", "--children", "1"] + (["--snapped"] if snapped
                                                                       else [])
    assert broadband.main(argv) == 0
    out = capsys.readouterr().out
    assert ("snapped: n = 8: 0.75, 0.875, 1, 1.125, 1.25" in out) == snapped
    assert "broad/mono" in out and "ratio (as it is / OPENBLAS_NUM_THREADS=1" in out
    assert len([line for line in out.splitlines() if line.split()[:1] in (["8"], ["12"])]) == 2
