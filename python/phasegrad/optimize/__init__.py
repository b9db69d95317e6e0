"""Optimizers and classic algorithms on phasegrad's kernels.

Gradient methods on a model's exact gradient (any object with ``fun_and_jac``, such as
``pg.PhaseRetrieval`` and ``pg.Hologram``): ``lbfgs`` (SciPy's L-BFGS-B, scaled so that small costs
do not stop it early) and ``adam``. Projection algorithms on the same C++ FFTs: ``error_reduction``
(``gerchberg_saxton``), ``hio`` and ``raar`` for Fourier-magnitude phase retrieval; ``gs`` and
``wgs`` for phase-only holograms. Every one returns an ``OptimizeResult`` with a cost history and
calls ``callback(iteration, x, cost)`` after each iteration. ``levenberg_marquardt`` minimises a
model's ``||r||^2`` from its least-squares view (``residuals`` with ``gauss_newton`` or
``jacobian``, or matrix-free with ``gauss_newton_product`` and ``vjp``): conjugate gradients while
they converge cheaply, dense damped normal equations when they do not (up to 2000 parameters), CG
beyond; it returns a ``LevenbergMarquardtResult`` that says whether and why it converged. Given a
``pg.PhaseRetrievalBatch``, ``lbfgs`` solves its B problems in lockstep (``BatchResult``).
``default_target``, ``spot_array_target``, ``reconstruct`` and ``psnr`` set up and score hologram
problems. ``multiplane_gs`` is (weighted) GS for holograms of several planes and colours
(global or sequential); ``quantised_adam`` designs a hologram of quantised levels through an
annealed soft quantiser; ``CameraInTheLoop`` makes a measured image replace the model's
intensity in the loss (``SimulatedCamera`` stands in for the hardware). ``compare_hypotheses``
fits competing models of the same data (one star, two stars, an extended object) and chooses by
BIC or AIC;
``fit_pair`` fits two point sources from many starts (``pair_starts``) around one source's fit.
``assess`` reports how good a phase-retrieval fit is (converged, the cost against the noise,
uncertainties, warnings); ``retrieve`` fits from a start the data give (registration, flux and
background, coarse-to-fine modes, several starts) and returns that report.
"""

from ._result import OptimizeResult
from .batch import BatchResult
from .camera import CameraInTheLoop, SimulatedCamera
from .gradient import LBFGSResult, adam, lbfgs
from .holograms import gs, reconstruct, wgs
from .holograms_planes import multiplane_gs
from .holograms_quantised import quantised_adam
from .hypotheses import HypothesisComparison, compare_hypotheses, fit_pair, pair_starts
from .least_squares import LevenbergMarquardtResult, levenberg_marquardt
from .projections import error_reduction, gerchberg_saxton, hio, raar
from .quality import FitReport, assess
from .retrieval import RetrievalResult, retrieve
from .targets import default_target, psnr, spot_array_target

__all__ = [
    "BatchResult", "CameraInTheLoop", "FitReport", "HypothesisComparison", "LBFGSResult",
    "LevenbergMarquardtResult", "OptimizeResult", "RetrievalResult", "SimulatedCamera", "adam",
    "assess", "compare_hypotheses", "default_target", "error_reduction", "fit_pair",
    "gerchberg_saxton", "gs", "hio", "lbfgs", "levenberg_marquardt", "multiplane_gs",
    "pair_starts", "psnr", "quantised_adam", "raar", "reconstruct", "retrieve",
    "spot_array_target", "wgs",
]
