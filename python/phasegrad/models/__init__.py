"""Models: whole forward models with their gradients (``PhaseRetrieval``, ``Hologram``) and the
scenes a phase-retrieval model images (``PointSources``)."""

from .batch import PhaseRetrievalBatch
from .hologram import Hologram
from .objects import PointSources
from .phase_retrieval import PhaseRetrieval

__all__ = ["Hologram", "PhaseRetrieval", "PhaseRetrievalBatch", "PointSources"]
