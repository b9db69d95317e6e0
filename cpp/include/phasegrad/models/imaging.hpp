// The imaging stage of the fused phase-retrieval model (docs/imaging-model.md): a scene seen
// through the PSF, per-plane flux, background and registration, jitter, a free pupil amplitude,
// a detector window and the shifted-Poisson metric, on top of the PSF passes of
// FusedPhaseRetrieval<T> (its engine: begin, psf, psf_reverse, begin_tangent, psf_tangent).
//
// Per plane p (N the FFT grid, b the binning, M the window):
//   psf       I_p (N, N), sum_lam s_lam |G_lam|^2 (the engine's passes A and forward FFT);
//   transfer  (with an object, a shift or a jitter) I^ = r2c(I_p); Z = I^ T_h; image = c2r(Z)/N^2,
//             T = O S_p J from separable one-dimensional tables (point sources: one pair per
//             source), T_h = (T(k) + conj T(-k)) / 2 its Hermitian part, which differs from T
//             only on the Nyquist row and column of an even N;
//   window    B = bin(image) on the window's rows/columns only; L = phi B + beta; M = L or
//             a L^2 + b L + c; the metric (sse or shifted Poisson) and M_bar;
//   reverse   L_bar, phi_bar, beta_bar, the detector's; image_bar (zero off the window);
//             Y^ = r2c(image_bar); R = I^ conj(Y^) / N^2 gives every transfer parameter's
//             gradient as sum over the half spectrum of c_k Re(R dT_h) (c_k = 1 on the k_x = 0
//             and k_x = N/2 columns, 2 elsewhere); a free object's spectrum gradient R (J S)_h
//             is summed over planes and brought to pixels by one c2r at the end;
//             I_bar = c2r(Y^ conj T_h) / N^2; then the engine's psf_reverse.
// The least-squares view: residuals (sse: sqrt(w) (M - D); poisson: deviance residuals), their
// tangent (the engine's psf_tangent, then the stage's tangent: linear in I and in each block),
// cotangent (the reverse above from M_bar = r'(M) u) and Jacobian columns (a tangent per
// column, each plane's primal computed once).
//
// Threads: the engine's passes and the stage's real transforms (models/chunked_real_dft2.hpp)
// hand out fixed chunks dynamically and the stage's other passes are serial, so every result
// is bit-for-bit the same on any team. Each public call kind has its measured fallback of the
// thread count (core/team_choice.hpp): it runs on one thread while that measures faster
// (another process keeping a core busy), with the same results.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/models/chunked_real_dft2.hpp"
#include "phasegrad/models/phase_retrieval.hpp"

namespace phasegrad::models {

enum class ObjectKind { none, array, points };

// The parameter blocks, in the flat vector's order.
enum class ImagingBlock {
  wavefront, detector, positions, fluxes, object, flux, background, shift, jitter, amplitude
};

// What the imaging stage reads beyond the optics (arrays row-major, contiguous, kept alive by
// the caller). The optics' data and weights are unused (null).
template <class T>
struct ImagingConfig {
  PhaseRetrievalConfig<T> optics;
  const T* data = nullptr;     // (P, M, M)
  const T* weights = nullptr;  // (P, M, M) or null
  std::size_t window = 0;      // M
  std::size_t offset = 0;      // the window's first row and column on the binned grid
  bool poisson = false;
  double read_noise = 0;
  ObjectKind object = ObjectKind::none;
  std::size_t object_size = 0;  // S of an (S, S) scene
  std::size_t sources = 0;      // k point sources
  bool transfer = false;        // the transfer step runs (object, shift or jitter)
  bool quadratic = false;       // detector M = a L^2 + b L + c
};

// The blocks of one call (null: the default; see docs/imaging-model.md). The same layout holds
// tangents (null: zero) for jvp.
template <class T>
struct ImagingBlocks {
  const T* wavefront = nullptr;     // (K,) or (n, n)
  const double* detector = nullptr; // (a, b, c) with a quadratic detector
  const double* positions = nullptr;  // (k, 2)
  const double* fluxes = nullptr;   // (k,)
  const T* object = nullptr;        // (S, S)
  const double* flux = nullptr;     // (P,), default 1
  const double* background = nullptr;  // (P,), default 0
  const double* shift = nullptr;    // (P, 2), default 0
  double jitter = 0;
  const T* amplitude = nullptr;     // (n, n) or null (the optics' own)
};

// Gradients (or cotangents) of the free blocks: null for a fixed block.
template <class T>
struct ImagingGrads {
  T* wavefront = nullptr;
  double* detector = nullptr;
  double* positions = nullptr;
  double* fluxes = nullptr;
  T* object = nullptr;
  double* flux = nullptr;
  double* background = nullptr;
  double* shift = nullptr;
  double* jitter = nullptr;
  T* amplitude = nullptr;
};

template <class T>
class FusedImaging {
 public:
  using Complex = std::complex<T>;

  explicit FusedImaging(const ImagingConfig<T>& config);
  FusedImaging(const FusedImaging&) = delete;
  FusedImaging& operator=(const FusedImaging&) = delete;

  // Set-up that the first call would otherwise pay, for calls on `threads` threads: the PSF
  // engine's (FusedPhaseRetrieval::prepare: its plans, each transform once on the team), the
  // stage's real transforms planned, one plane's PSF, transfer transforms and PSF reverse run
  // on the team over zeros, then timed on the team and on one thread for every call kind's
  // first choice (imaging_prepare.cpp). Optional (the same results without it); the Python
  // model calls it once, right after construction.
  void prepare(int threads);

  // E (summed in double) and the gradients of the free blocks (`grads`' non-null members).
  double value_and_grad(const ImagingBlocks<T>& blocks, const ImagingGrads<T>& grads,
                        int threads);
  // The model images M, (P, M, M).
  void simulate(const ImagingBlocks<T>& blocks, T* model, int threads);
  // The residuals, (P, M, M) flattened: E = |r|^2.
  void residuals(const ImagingBlocks<T>& blocks, double* r, int threads);
  // J v for the tangent `dots` (null members: zero).
  void jvp(const ImagingBlocks<T>& blocks, const ImagingBlocks<T>& dots, double* r_dot,
           int threads);
  // J^T u into `grads`.
  void vjp(const ImagingBlocks<T>& blocks, const double* u, const ImagingGrads<T>& grads,
           int threads);
  // J^T J v into `grads`.
  void gauss_newton_product(const ImagingBlocks<T>& blocks, const ImagingBlocks<T>& dots,
                            const ImagingGrads<T>& grads, int threads);
  // Columns of J for planes [plane_begin, plane_end), transposed: jacobian_t[c * rows + i] =
  // dr_i / dx_c for the free blocks `free` in that order, each block's elements in row-major
  // order, rows = (plane_end - plane_begin) M^2. A tangent per column (each plane's primal
  // computed once), columns one after another.
  void jacobian(const ImagingBlocks<T>& blocks, const std::vector<ImagingBlock>& free,
                std::size_t plane_begin, std::size_t plane_end, double* jacobian_t,
                int threads);
  // The number of values of a block.
  std::size_t block_size(ImagingBlock block) const;

  // Point the model at other data and weights of the same shapes ((P, M, M) each; weights may
  // be null) and the Poisson metric's read noise (its shift s = read_noise^2, which depends on
  // the data: docs/imaging-model.md), with the metric's constants made again from them:
  // models/imaging_batch.hpp runs one model per thread over the problems of a batch this way.
  // The arrays must outlive the calls that read them. Serialised with the calls (the lock).
  void set_data(const T* data, const T* weights, double read_noise);
  const ImagingConfig<T>& config() const { return cfg_; }
  std::size_t planes() const { return cfg_.optics.planes; }
  std::size_t window() const { return cfg_.window; }
  std::size_t workspace_bytes() const;

 private:
  struct TransferSums {  // a plane's sums for the shift and the jitter
    double shift_y = 0, shift_x = 0, jitter = 0;
  };
  // The public calls' kinds, each with its measured fallback of the thread count.
  enum Call { kValueAndGrad, kSimulate, kResiduals, kJvp, kVjp, kGaussNewton, kJacobian, kCalls };
  // A public call's team (its kind's TeamChoice), plans and the engine's begin; finish gives
  // the call's time (a stopwatch started before start_call) to the kind's TeamChoice.
  void start_call(Call call, const ImagingBlocks<T>& blocks, int threads);
  double prepare_pass(int team, T* params_bar);
  void plan_transfer();
  void finish(Call call, const Stopwatch& watch);
  void poisson_pieces();
  void object_transform(const T* object, Complex* spectrum);
  void transfer_tables(std::size_t plane, const ImagingBlocks<T>& blocks);
  std::complex<double> raw_transfer(std::size_t iy, std::size_t ix) const;
  bool nyquist(std::size_t ky, std::size_t kx) const;
  void fill_transfer();
  std::size_t main_columns() const;
  std::complex<double> hermitian_transfer(std::size_t ky, std::size_t kx) const;
  void transfer_gradients(std::size_t plane, const ImagingGrads<T>& grads, bool sums_needed,
                          const Complex* object, TransferSums& sums);
  void forward_plane(std::size_t plane, const ImagingBlocks<T>& blocks);
  void window_forward(std::size_t plane, const ImagingBlocks<T>& blocks, const T* image,
                      double* binned, bool primal);
  double metric_plane(std::size_t plane, bool gradient);
  void residual_plane(std::size_t plane, double* r, bool slope);
  void zero_grads(const ImagingGrads<T>& grads) const;
  void accumulate(std::size_t iy, std::size_t ix, std::complex<double> r,
                  std::complex<double> object, double weight, const ImagingGrads<T>& grads,
                  TransferSums& sums) const;
  void reverse_plane(std::size_t plane, const ImagingBlocks<T>& blocks,
                     const ImagingGrads<T>& grads, bool first, bool last);
  void finish_object(const ImagingGrads<T>& grads);
  void begin_dots(const ImagingBlocks<T>& dots);
  std::complex<double> transfer_dot(std::size_t iy, std::size_t ix, std::complex<double> object,
                                    std::complex<double> object_dot, std::size_t plane,
                                    const ImagingBlocks<T>& blocks,
                                    const ImagingBlocks<T>& dots) const;
  void tangent_plane(std::size_t plane, const ImagingBlocks<T>& blocks,
                     const ImagingBlocks<T>& dots, double* r_dot);

  ImagingConfig<T> cfg_;
  std::unique_ptr<FusedPhaseRetrieval<T>> engine_;
  std::size_t grid_ = 0, half_ = 0, binned_ = 0;
  int threads_ = 1;  // the current call's team
  long long primal_plane_ = -1;  // the plane whose primal image stage the buffers hold
  // Per plane: I (N, N); image (N, N); image_bar, then I_bar (N, N); the spectra (N, N/2+1).
  Buffer<T> intensity_, image_, image_bar_, intensity_dot_;
  Buffer<Complex> spectrum_, work_, transfer_, object_spectrum_, object_dot_spectrum_;
  Buffer<T> zero_params_;  // a zero wavefront tangent
  Buffer<std::complex<double>> object_bar_;  // sum over planes of R (J S)_h, (N, N/2+1),
                                             // zero between calls
  Buffer<T> object_pixels_;                  // embed(o) ifftshifted, (N, N)
  // Per window pixel of the current plane (double): B, L, M, M_bar (or the residual slope).
  Buffer<double> binned_image_, level_, model_, model_bar_, slope_;
  // With the Poisson metric, per plane z_D, 1 / z_D and w of every window pixel, (P, 3, M, M),
  // read from data and weights when the model is made (which must not change after).
  Buffer<double> poisson_constants_;
  // The transfer's tables: per term j (one per source, else one) U_j[ky], V_j[kx] over the
  // full index range, the term's weight (flux), and the frequencies.
  std::vector<std::complex<double>> table_y_, table_x_;
  std::vector<double> table_x_re_, table_x_im_;  // V_j split, for the vectorised row loops
  std::vector<double> term_weight_, frequency_;
  // Per column k_x of the half spectrum: c_k, c_k f_x, c_k f_x^2 (c_k = 1 at k_x = 0, else 2);
  // a row's scratch (R, and R O).
  std::vector<double> column_weight_, column_weight_f_, column_weight_f2_;
  std::vector<double> row_re_, row_im_, row_object_re_, row_object_im_;
  // What the transfer_ and its tables were made from (shift, jitter, sources), to make them
  // again only when that changes; the object's pixels its spectrum was made from.
  std::vector<double> transfer_key_, key_;
  std::vector<T> object_copy_;
  std::size_t terms_ = 1;
  ChunkedRealDft2<T> real_dft_;  // the stage's r2c / c2r transforms, (N, N) <-> (N, N/2+1)
  // A call runs on the team its kind's TeamChoice picks; a kind's first call (which plans and
  // allocates) is not compared.
  TeamChoice choices_[kCalls];
  bool warm_[kCalls] = {};
  std::mutex mutex_;
};

}  // namespace phasegrad::models
