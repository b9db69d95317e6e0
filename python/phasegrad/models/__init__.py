"""Models: whole forward models with their gradients (``PhaseRetrieval``, ``PhaseDiversity``,
``Hologram``)."""

from .hologram import Hologram
from .phase_diversity import PhaseDiversity
from .phase_retrieval import PhaseRetrieval

__all__ = ["Hologram", "PhaseDiversity", "PhaseRetrieval"]
