"""Models: whole forward models with their gradients (``PhaseRetrieval``, ``PhaseDiversity``,
``Hologram``), the scenes a phase-retrieval model images (``PointSources``) and the helper that
snaps broadband sample wavelengths to plain-FFT bands (``snap_wavelengths``)."""

from .batch import PhaseRetrievalBatch
from .hologram import Hologram
from .objects import PointSources
from .phase_diversity import PhaseDiversity
from .phase_retrieval import PhaseRetrieval
from .snapping import snap_wavelengths

__all__ = ["Hologram", "PhaseDiversity", "PhaseRetrieval", "PhaseRetrievalBatch", "PointSources",
           "snap_wavelengths"]
