"""Models: whole forward models with their gradients (``PhaseRetrieval``, ``Hologram``)."""

from .hologram import Hologram
from .phase_retrieval import PhaseRetrieval

__all__ = ["Hologram", "PhaseRetrieval"]
