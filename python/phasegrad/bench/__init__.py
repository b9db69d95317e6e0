"""The benchmark suite, shipped with the package: ``phasegrad bench`` or ``python -m
phasegrad.bench`` (``main``).

``main`` runs the model suite (``phasegrad.bench.models``): one value_and_grad of the phase
retrieval and hologram models for every implementation -- phasegrad's fused and reference
backends, the FFTW floor (pyFFTW), JAX and PyTorch, the last three used when installed --
side by side, with their peak memory; it prints a table and writes ``bench_models.json`` and
``bench_models.png``. The other suites run as ``python -m phasegrad.bench.<name>``:

``ops_fft``          dft2/idft2: ``phasegrad.ops`` vs pyFFTW vs NumPy
``ops_arithmetic``   arithmetic and expansion ops vs their NumPy expressions
``ops_elementwise``  complex-parts and metrics ops (and their reverse rules) vs NumPy
``ops_layout``       indexing, sampling, mft and convolve vs NumPy
``threads``          OpenMP scaling of the fused models and a few ops
``openmp_policy``    phasegrad's OpenMP wait policy vs passive vs libgomp's default
``memory``           peak memory of one value_and_grad, in a fresh process per implementation
``foundation``       FFTW through the core vs numpy.fft, and the models at small sizes
``hologram_algorithms``  Adam, L-BFGS-B, GS and WGS on the built-in hologram target
``second_order``     jvp, Jacobian and Gauss-Newton costs; L-BFGS-B vs Levenberg-Marquardt vs
                     SciPy's least_squares on a noisy and an ill-conditioned retrieval
``busy_machine``     BLAS thread fights under load, and a model's first call with and without
                     the wisdom cache
``imaging``          objects, point sources, nuisance blocks and the Poisson metric against
                     the point-source model's value_and_grad
``phase_diversity``  the object-eliminated phase-diversity metric: an evaluation, and L-BFGS
                     solves to 0.003 waves RMS at 64^2 and 128^2
``hologram_targets``  issue 14's targets: a 3-plane, 3-colour hologram vs its FFTs, PyTorch
                     and JAX; 8 quantised levels with crosstalk vs quantising afterwards
``poisson_ml``       Poisson maximum likelihood (128^2, 36 modes, 1e7 photons) against the
                     Cramer-Rao bound: time and accuracy of lbfgs and LM
``batch``            the native batch (``PhaseRetrievalBatch``, lockstep L-BFGS) against a
                     Python loop over single models: problems per second
``distributed``      ``pg.distributed.retrieve_many`` in this process vs a Dask LocalCluster,
                     Dask's cost per task, and the estimate for 10^6 problems
``contention``       the fused model on 2 threads vs 1, quiet and with a core kept busy
``broadband``        the broadband model (5 wavelengths) against the monochromatic one, and
                     with OpenBLAS's threads against one
``floor_ratio``      the fused value_and_grad against the floor (and JAX) in CPU time, n = 128
                     to 1024, float32 and float64

``SUITES`` names them all (``models`` first), in this order; ``phasegrad bench --help`` lists
the others from it. Importing this package imports nothing else; each suite loads what it needs
when it runs.
"""

__all__ = ["SUITES", "main"]

#: Every suite, a module ``phasegrad.bench.<name>`` with a ``main``: the model suite first,
#: then those that run as ``python -m phasegrad.bench.<name>``. The one list: ``--help`` and
#: the tests read it.
SUITES = ("models", "ops_fft", "ops_arithmetic", "ops_elementwise", "ops_layout", "threads",
          "openmp_policy", "memory", "foundation", "hologram_algorithms", "second_order",
          "busy_machine", "imaging", "phase_diversity", "hologram_targets", "poisson_ml",
          "batch", "distributed", "contention", "broadband", "floor_ratio")


def main(argv=None, *, prog="phasegrad bench"):
    """Run the model suite with the command-line arguments ``argv`` (default:
    ``sys.argv[1:]``); returns the exit code.

    The arguments: ``--quick``, ``--out DIR``, ``--sizes N,N,...``, ``--workloads W,W,...``,
    ``--impls I,I,...``, ``--threads N``, ``--quiet`` (``--help`` describes them). ``--help``
    returns 0; a bad argument prints one line on stderr and returns 2; an output that cannot
    be written (checked before anything runs) or not enough memory prints one line and
    returns 1. ``prog`` names the command in usage and error lines.
    """
    from .models import main as models_main

    return models_main(argv, prog=prog)
