// The fused phase-retrieval model (Jurling & Fienup 2014, Eq. 99-101, in phasegrad's gradient
// convention): error metric, model images and exact gradients in a few passes over memory.
//
// Per call: the synthesis W = sum_k a_k Z_k (the basis read once), then for every diversity
// plane p:
//   pass A   theta = 2 pi / lam (W + Phi_p), g = A exp(i theta), written straight into the
//            transform's input; the fftshift of the image folded in as a phase ramp;
//   forward  pruned 2-D FFT in place: the n non-zero columns, then every row (or an MFT
//            through BLAS at a wavelength other than the reference);
//   pass B   |G|^2 summed over wavelengths, binned, the detector model, the residual, E, the
//            detector-parameter gradients and G_bar = 2 s I_bar G in place;
//   adjoint  pruned transform: every row, then only the n columns the crop keeps;
//   pass C   W_bar += sum_lam 2 pi / lam Im(g_bar conj(g)); on the last plane the basis
//            projection a_bar_k = sum W_bar Z_k, with the basis read once.
// Pixels where the amplitude is zero are skipped throughout. Work buffers belong to the model
// (zero-initialised Buffers) and are reused; a call allocates nothing of the grid's size.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/fft.hpp"

namespace phasegrad::models {

// What the model reads. Arrays are row-major and contiguous and must outlive the model (the
// bindings keep them alive); the model copies none of them.
template <class T>
struct PhaseRetrievalConfig {
  std::size_t n = 0;        // pupil size (n x n)
  std::size_t grid = 0;     // padded grid N >= n
  std::size_t bin = 1;      // detector binning factor; the images are (N / bin)^2
  std::size_t modes = 0;    // basis modes K; 0: the parameters are the (n, n) wavefront map
  std::size_t planes = 1;   // diversity planes P
  const T* amplitude = nullptr;  // (n, n)
  const T* basis = nullptr;      // (K, n, n) or null
  const T* diversity = nullptr;  // (P, n, n) or null
  const T* data = nullptr;       // (P, M, M)
  const T* weights = nullptr;    // (P, M, M) or null (all ones)
  double wavelength = 1.0;       // reference wavelength: the FFT path
  std::vector<double> wavelengths, spectral_weights;
};

// A detector model: linear (M = I) or quadratic (M = a I^2 + b I + c).
struct Detector {
  bool quadratic = false;
  double a = 0, b = 1, c = 0;
};

template <class T>
class FusedPhaseRetrieval {
 public:
  using Complex = std::complex<T>;

  explicit FusedPhaseRetrieval(const PhaseRetrievalConfig<T>& config);
  ~FusedPhaseRetrieval();
  FusedPhaseRetrieval(const FusedPhaseRetrieval&) = delete;
  FusedPhaseRetrieval& operator=(const FusedPhaseRetrieval&) = delete;

  // E and its gradients: a_bar (K values, or n * n for a wavefront map) and, for a quadratic
  // detector, p_bar = (dE/da, dE/db, dE/dc). Serialised per model (one set of work buffers).
  double value_and_grad(const T* params, const Detector& detector, T* params_bar,
                        double* detector_bar, int threads);

  // The model images M, (P, M, M).
  void simulate(const T* params, const Detector& detector, T* model, int threads);

  // Bytes of the work buffers the model holds.
  std::size_t workspace_bytes() const;

  // What the model was made from, and the side of its (binned) images.
  const PhaseRetrievalConfig<T>& config() const { return cfg_; }
  std::size_t image_size() const { return binned_; }

 private:
  struct Band;   // one wavelength: its buffers, plans or MFT matrices
  struct Run {   // a stretch of one pupil row where the amplitude is non-zero
    std::size_t y, x0, x1;
  };

  void synthesize(const T* params, int threads);
  void pupil_fields(std::size_t plane, int threads);
  void transform_forward(Band& band);
  void transform_adjoint(Band& band);
  double detector_pass(std::size_t plane, const Detector& detector, T* model, bool reverse,
                       double* detector_bar, int threads);
  void gradient_pass(bool first_plane, bool last_plane, T* params_bar, int threads);
  void plan_for(int threads);
  std::size_t rows_per_block(int team) const;
  int team_size(int threads) const;

  PhaseRetrievalConfig<T> cfg_;
  std::size_t binned_ = 0;
  std::vector<Run> runs_;
  std::vector<std::size_t> row_runs_;  // runs_ of row y: [row_runs_[y], row_runs_[y + 1])
  std::vector<Complex> ramp_;          // exp(2 pi i (x * (N/2) mod N) / N): the fftshift
  std::vector<std::unique_ptr<Band>> bands_;
  Buffer<T> wavefront_, wavefront_bar_;  // W and W_bar, (n, n)
  Buffer<Complex> staging_;              // the MFT path's (N, n) intermediate product
  int planned_threads_ = 0;
  std::mutex mutex_;
};

}  // namespace phasegrad::models
