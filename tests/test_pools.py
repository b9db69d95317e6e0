"""pg.config.single_threaded_blas: BLAS on one thread inside phasegrad's solvers, the user's
setting restored afterwards, nested uses too. (Across Python threads OpenBLAS's own rules decide
what a thread sees: they differ between its versions, so no test pins them.)"""

import numpy as np
import pytest
import scipy.linalg  # noqa: F401 (SciPy's BLAS loaded, so threadpoolctl sees both)
from threadpoolctl import threadpool_info, threadpool_limits

import phasegrad as pg
from phasegrad.models.synthetic import make_problem


def blas_threads():
    return sorted({pool["num_threads"] for pool in threadpool_info()
                   if pool["user_api"] == "blas"})


@pytest.fixture
def two_blas_threads():
    """Every BLAS on 2 threads for the test (1 would hide a limit that did nothing)."""
    with threadpool_limits(2, user_api="blas"):
        assert blas_threads() == [2]
        yield


def test_limits_inside_and_restores(two_blas_threads):
    with pg.config.single_threaded_blas():
        assert blas_threads() == [1]
        with pg.config.single_threaded_blas():
            assert blas_threads() == [1]
        assert blas_threads() == [1]  # the outer block is still running
    assert blas_threads() == [2]


def test_restores_after_an_exception(two_blas_threads):
    with pytest.raises(RuntimeError), pg.config.single_threaded_blas():
        raise RuntimeError("inside")
    assert blas_threads() == [2]


def test_solvers_run_under_it(two_blas_threads):
    model, truth, _, _ = make_problem(size=16, modes=5, planes=2)
    during = []

    def callback(iteration, x, cost):
        during.append(blas_threads())

    x0 = np.zeros(model.n_params)
    pg.optimize.lbfgs(model, x0, maxiter=2, callback=callback)
    pg.optimize.levenberg_marquardt(model, x0, maxiter=2, callback=callback)
    pg.optimize.adam(model, x0, iters=2, callback=callback)
    assert during and all(seen == [1] for seen in during)
    assert blas_threads() == [2]


def test_switched_off_by_the_environment(two_blas_threads, monkeypatch):
    monkeypatch.setenv("PHASEGRAD_LIMIT_BLAS", "0")
    with pg.config.single_threaded_blas():
        assert blas_threads() == [2]


def test_bad_environment_value(monkeypatch):
    monkeypatch.setenv("PHASEGRAD_LIMIT_BLAS", "sometimes")
    with pytest.raises(ValueError, match="PHASEGRAD_LIMIT_BLAS"), \
            pg.config.single_threaded_blas():
        pass


def test_each_library_gets_back_its_own_count():
    """Two BLAS libraries on different counts (NumPy's and SciPy's OpenBLAS here): each gets
    its own count back, and one already on one thread is left alone."""
    from threadpoolctl import ThreadpoolController

    pools = ThreadpoolController().select(user_api="blas").lib_controllers
    if len(pools) < 2:
        pytest.skip("one BLAS library loaded")
    before = [pool.get_num_threads() for pool in pools]
    try:
        pools[0].set_num_threads(2)
        pools[1].set_num_threads(1)
        with pg.config.single_threaded_blas():
            assert [pool.get_num_threads() for pool in pools[:2]] == [1, 1]
        assert [pool.get_num_threads() for pool in pools[:2]] == [2, 1]
    finally:
        for pool, count in zip(pools, before, strict=True):
            pool.set_num_threads(count)


def test_the_libraries_are_found_once(two_blas_threads, monkeypatch):
    """Entering and leaving, nested or not, read and set the libraries found the first time:
    no new scan of the process's libraries."""
    import threadpoolctl

    pg.config.single_threaded_blas().__enter__().__exit__(None, None, None)
    scans = []
    original = threadpoolctl.ThreadpoolController.__init__

    def counting(self, *args, **kwargs):
        scans.append(1)
        original(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(threadpoolctl.ThreadpoolController, "__init__", counting)
        blocks = [pg.config.single_threaded_blas() for _ in range(3)]
        for block in blocks:
            block.__enter__()
        for block in reversed(blocks):
            block.__exit__(None, None, None)
    assert scans == []
    assert blas_threads() == [2]


def test_a_failing_library_leaves_the_others_as_they_were(monkeypatch):
    """A library whose count cannot be set: the block fails and the ones set before it get
    their counts back; nothing stays open."""
    from phasegrad import config

    class Pool:
        def __init__(self, count, fails=False):
            self.count, self.fails = count, fails

        def get_num_threads(self):
            return self.count

        def set_num_threads(self, count):
            if self.fails:
                raise RuntimeError("cannot set")
            self.count = count

    pools = (Pool(4), Pool(3), Pool(2, fails=True))
    monkeypatch.setitem(config._pools, "blas", pools)
    depth = len(getattr(config._local, "blas_limits", []))
    with pytest.raises(RuntimeError, match="cannot set"):
        with pg.config.single_threaded_blas():
            pass
    assert [pool.count for pool in pools] == [4, 3, 2]
    assert len(getattr(config._local, "blas_limits", [])) == depth  # nothing left open
