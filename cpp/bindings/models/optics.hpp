// What the bindings of the models built on the phase-retrieval engine share (models/
// phase_retrieval.cpp, phase_retrieval_batch.cpp, phase_diversity.cpp): the strict checks of
// the optional basis and diversity arrays, set into the engine's configuration, and the shape
// of the wavefront parameters one problem takes.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "phasegrad/models/phase_retrieval.hpp"

namespace phasegrad::bind {

// basis (K, n, n) and diversity (planes, n, n), each optional, checked strictly and set in
// `cfg`, whose n is set. `modes` and `planes` name the two leading axes in the errors
// ("K" and "P" for phase retrieval; "J" and "K" for phase diversity).
template <class T>
void set_basis_and_diversity(models::PhaseRetrievalConfig<T>& cfg,
                             const std::optional<py::array>& basis_in,
                             const std::optional<py::array>& diversity_in, py::ssize_t planes,
                             const char* modes = "K", const char* plane_axis = "P") {
  const auto n = static_cast<py::ssize_t>(cfg.n);
  if (basis_in) {
    const auto basis = strict<T>(*basis_in, "basis");
    if (basis.ndim() != 3 || basis.shape(1) != n || basis.shape(2) != n || basis.shape(0) == 0) {
      throw std::invalid_argument(std::string("basis must have shape (") + modes + ", n, n)");
    }
    cfg.modes = static_cast<std::size_t>(basis.shape(0));
    cfg.basis = basis.data();
  }
  if (diversity_in) {
    const auto diversity = strict<T>(*diversity_in, "diversity");
    if (diversity.ndim() != 3 || diversity.shape(0) != planes || diversity.shape(1) != n ||
        diversity.shape(2) != n) {
      throw std::invalid_argument(std::string("diversity must have shape (") + plane_axis +
                                  ", n, n)");
    }
    cfg.diversity = diversity.data();
  }
}

// One problem's wavefront parameters: (K,) for a basis, else the (n, n) wavefront map.
template <class T>
std::vector<py::ssize_t> wavefront_shape(const models::PhaseRetrievalConfig<T>& cfg) {
  if (cfg.modes > 0) return {static_cast<py::ssize_t>(cfg.modes)};
  return {static_cast<py::ssize_t>(cfg.n), static_cast<py::ssize_t>(cfg.n)};
}

}  // namespace phasegrad::bind
