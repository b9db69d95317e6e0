"""The general hologram's dense least-squares view from its matrix-free one: what both of its
backends (``fused_hologram_planes``, ``reference_hologram_planes``) build on their own
``residuals``, ``jvp`` and ``vjp`` (the far-field kernels have closed forms instead)."""

from __future__ import annotations

import numpy as np


class ColumnJacobian:
    """``gauss_newton_product``, ``jacobian`` and ``gauss_newton`` from ``residuals``,
    ``jvp`` and ``vjp``, for a backend with a ``setup`` (colours, planes)."""

    def gauss_newton_product(self, phi, v):
        """J^T (J v): ``jvp`` then ``vjp``."""
        return self.vjp(phi, self.jvp(phi, v))

    def jacobian(self, phi):
        """Column j is J e_j (one ``jvp`` per phase)."""
        count = phi.size
        pixels = int(np.prod(self.setup.plane))
        jac = np.empty((self.setup.colours * self.setup.planes * pixels, count))
        for j in range(count):
            unit = np.zeros(count)
            unit[j] = 1.0
            jac[:, j] = self.jvp(phi, unit)
        return jac

    def gauss_newton(self, phi):
        """``(J^T J, J^T r)`` from the dense J."""
        jac = self.jacobian(phi)
        return jac.T @ jac, jac.T @ self.residuals(phi)
