"""Models: whole forward models with their gradients (``PhaseRetrieval``, ``PhaseDiversity``,
``Hologram``) and the scenes a phase-retrieval model images (``PointSources``)."""

from .hologram import Hologram
from .objects import PointSources
from .phase_diversity import PhaseDiversity
from .phase_retrieval import PhaseRetrieval

__all__ = ["Hologram", "PhaseDiversity", "PhaseRetrieval", "PointSources"]
