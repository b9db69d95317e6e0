// The general fused hologram (python/phasegrad/models/fused_hologram_planes.py; the spec is
// python/phasegrad/models/reference_hologram_planes.py): a phase map phi shown by a modulator
// with quantised levels and pixel crosstalk, at C wavelengths, propagated to P planes (or to the
// far field), each plane's intensity scored against its target.
//
// Forward, for colour c and plane p (every phase-map step in double, as the reference's
// hologram_modulator):
//   w      = phi - 2 pi floor(phi / 2 pi)                 wrap into [0, 2 pi)
//   q      = (2 pi / L)(round(L w / 2 pi) mod L)          levels, straight-through rule, or
//          = w - sin(L w) / L                             the soft staircase (slope 1 - cos L w)
//   s      = K * q                                        crosstalk: circular, direct sum
//   u_c    = A (exp(i alpha_c s) + zeta)
//   U_cp   = crop(IDFT_u(H_cp DFT_u(pad(u_c)))) / Np      band-limited angular spectrum, or
//          = fftshift(IDFT_u(ifftshift(u_c))) / N         the far field (no distances)
//   I_cp   = |U_cp|^2
// and the metric of each plane weighted by w_cp: the normalised MSE (mean_normalize and wsse)
// or, with an efficiency weight g, the MSE over the signal region S = {T > 0} normalised by the
// light in it plus g mean_S(T)^2 (1 - sum_S I / sum I).
//
// The reverse pass is the reverse rules in reverse order, and per colour the DFT of u_c is
// shared by its P planes and the planes' cotangents are added in the Fourier domain:
// 2 (P + 1) FFTs per colour for value_and_grad (P + 1 for the primal, P + 1 for the adjoint).
// jvp carries the tangent beside the primal (2 (P + 1) FFTs per colour too).
//
// value_and_grad of the normalised MSE without padding (the plane is the fit region) makes
// three passes per plane: the transfer product, which also sums |H S|^2 (Parseval: sum I
// without reading the field); one metric pass (fit_plane: the residuals' sums and the
// cotangent); and the adjoint product conj(H) DFT_u(cotangent) added to the colour's sum, with
// mean_normalize_vjp's constant term, a multiple of U, added there as the same multiple of
// |H|^2 S (DFT_u(IDFT_u(x)) = Np x), so the metric pass need not know it in advance. Where
// every row starts on a cache line, those passes run inside the transforms themselves, each
// 2-D transform split into its row and column stages (the staged path; see run()).
//
// One object owns its work buffers (allocated once) and serialises calls on a mutex; the caller
// releases the GIL first. Sums run over rows into per-row partial sums added in row order.
#pragma once

#include <complex>
#include <cstddef>
#include <mutex>
#include <utility>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/fft.hpp"

namespace phasegrad::models {

struct HologramPlanesConfig {
  std::size_t colours, planes, rows, cols;
  std::vector<double> weights;         // colours x planes
  std::vector<double> distances;       // planes entries, or empty: the far field
  std::vector<double> wavelengths;     // colours
  double pitch;                        // with distances
  std::size_t pad;                     // with distances
  std::vector<double> phase_response;  // colours
  std::vector<double> amplitude;       // rows x cols
  std::complex<double> zero_order;
  std::size_t levels;                  // 0: no quantisation
  bool soft;                           // the soft staircase instead of straight-through
  std::vector<double> crosstalk;       // kernel_rows x kernel_cols, or empty
  std::size_t kernel_rows, kernel_cols;
  double efficiency;                   // < 0: the normalised MSE
  // The amplitude + phase modulator: phi holds 2 planes, the phase map and beta, the pixel's
  // amplitude m = (1 + sin beta) / 2 in [0, 1]; u_c = A (m exp(i alpha_c s) + zeta).
  bool amplitude_phase = false;
};

template <class T>
class FusedHologramPlanes {
 public:
  // Copies the (colours, planes, rows, cols) target and the configuration (validated by the
  // caller) and computes the transfer functions.
  FusedHologramPlanes(const T* target, HologramPlanesConfig config);
  FusedHologramPlanes(const FusedHologramPlanes&) = delete;
  FusedHologramPlanes& operator=(const FusedHologramPlanes&) = delete;

  const HologramPlanesConfig& config() const { return config_; }

  // Set-up that the first value_and_grad would otherwise pay, for calls on `threads` threads:
  // one value_and_grad over a zero phase (its result discarded), which makes the plans and
  // the staged path's planes and tiled transfer functions, starts the team and touches the
  // work buffers and each thread's scratch (hologram_planes_prepare.cpp). Every call
  // overwrites what it writes before reading it, so no result changes. Optional; the Python
  // model calls it once, right after construction.
  void prepare(int threads);

  // E and dE/dphi (rows x cols).
  double value_and_grad(const T* phi, T* phi_bar, int threads);
  // I per colour and plane (colours x planes x rows x cols); `normalised` writes the metric's
  // normalised images instead.
  void images(const T* phi, T* out, bool normalised, int threads);
  // The least-squares view (normalised MSE): r = sqrt(w_cp / N)(I_r - T) in C order, J v and
  // J^T u, every vector in double.
  void residuals(const T* phi, double* r, int threads);
  void jvp(const T* phi, const double* v, double* out, int threads);
  void vjp(const T* phi, const double* u, double* out, int threads);

 private:
  enum class Mode { gradient, intensity, normalised, residuals, vjp, jvp };
  // One pass of the model; what it reads and writes depends on the mode.
  double run(const T* phi, Mode mode, const double* vector, T* images, double* out, T* phi_bar,
             int threads);
  // The metric of plane (c, p) on the field `field` (rows x cols, row stride `stride`): its
  // energy; in the reverse modes the field is replaced by its cotangent 2 U I_bar.
  double plane_metric(std::size_t c, std::size_t p, std::complex<T>* field, std::size_t stride,
                      const std::complex<T>* tangent, Mode mode, const double* vector,
                      T* images, double* out, int team);
  // value_and_grad's metric of plane `index` (the normalised MSE, the plane unpadded) in one
  // pass, given its sum of I from Parseval: the energy; the field becomes its cotangent less
  // mean_normalize_vjp's constant term 2 constant U, `constant` written for run() to add.
  double fit_plane(std::size_t index, std::complex<T>* field, double total, double* constant,
                   int team, double* sums);
  // fit_plane's two halves: the factors of its pass (I_r = scale I, the cotangent gain r U),
  // and from the pass's per-row sums (three per row) the energy and `constant`.
  std::pair<double, double> fit_factors(std::size_t index, double total) const;
  double fit_result(std::size_t index, double total, const double* sums, double* constant) const;
  // The staged transforms' plans, planes and sums, made on first use (see run()).
  void prepare_staged();

  // The amplitude + phase modulator's steps (no-ops for the phase-only one): m and dm/dbeta
  // from phi's second plane, its tangent along v's, and d/dbeta from d/dm.
  void modulate(const T* phi, const double* vector, int threads);
  void modulation_gradient(T* phi_bar, double* out, bool to_phi_bar, int threads) const;

  HologramPlanesConfig config_;
  bool unit_amplitude_ = false;  // every amplitude 1: the staged passes do not read it
  std::size_t padded_rows_, padded_cols_;
  std::vector<T> target_;
  std::vector<double> target_sums_, signal_sums_;
  std::vector<std::size_t> signal_counts_;
  std::vector<Buffer<std::complex<T>>> transfer_;  // H / Np per (colour, plane)
  std::vector<double> shown_, slope_, effective_, effective_bar_, shown_dot_;
  Buffer<std::complex<T>> phasor_, spectrum_, spectrum_bar_, work_, field_;
  Buffer<std::complex<T>> spectrum_dot_, work_dot_, field_dot_;  // jvp only, on first use
  std::vector<double> row_sums_a_, row_sums_b_, row_sums_c_, row_sums_d_, row_sums_e_;
  std::vector<double> modulation_, modulation_slope_, modulation_dot_, modulation_bar_;
  std::vector<double> fit_sums_;  // fit_plane's three sums per row
  // value_and_grad's staged path (the normalised MSE, no padding, rows of whole cache lines):
  // each 2-D transform as its row and column stages, the element-wise passes inside them. The
  // rows in blocks of `block` (one plan, in place in a per-thread scratch), the columns in
  // tiles of `chunk` adjacent columns (one plan each for a whole and the last, narrower tile,
  // in place in the tile); per (plane, tile) the transfer product's sum, per row the fit's
  // three sums.
  struct Staged {
    std::size_t block = 0, blocks = 0, chunk = 0, chunks = 0;
    StridedPlan<T> rows_forward, rows_inverse, rows_forward_last, rows_inverse_last;
    StridedPlan<T> columns_forward, columns_inverse, columns_forward_last, columns_inverse_last;
    std::size_t tile_rows = 0;  // rows of a transfer function's tile (rows / 2 + 1 mirrored)
    bool mirrored = false;      // every H / Np even in f_y: half its rows kept
    std::vector<Buffer<std::complex<T>>> transfer;  // tiled H / Np per (colour, plane)
    Buffer<std::complex<T>> spectrum, plane, sum;   // tiled: S, a plane, the adjoint sum
    std::vector<double> norms, sums;                // per (plane, tile); per row
  };
  Staged staged_;
  std::mutex mutex_;
};

}  // namespace phasegrad::models
