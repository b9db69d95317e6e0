// The fused phase-retrieval model (Jurling & Fienup 2014, Eq. 99-101, in phasegrad's gradient
// convention): error metric, model images and exact gradients in a few passes over memory.
//
// Per call: the synthesis W = sum_k a_k Z_k (the basis read once), then for every diversity
// plane p:
//   pass A   theta = 2 pi / lam (W + Phi_p), g = A exp(i theta) into the (n, n) pupil buffer,
//            on the support only; the fftshift of the image folded in as a phase ramp;
//   forward  pruned 2-D FFT: the n non-zero columns gathered from the pupil buffer into the
//            padded field, then every row, of which only the first n columns are read (or a
//            chirp-z scaled DFT, core/czt.hpp, at a wavelength other than the reference);
//   pass B   |G|^2 summed over wavelengths, binned, the detector model, the residual, E, the
//            detector-parameter gradients and G_bar = 2 s I_bar G in place;
//   adjoint  pruned transform: every row, then only the n columns the crop keeps;
//   pass C   W_bar += sum_lam 2 pi / lam Im(g_bar conj(g)); on the last plane the basis
//            projection a_bar_k = sum W_bar Z_k, with the basis read once.
// Pixels where the amplitude is zero are skipped throughout. Work buffers belong to the model
// (zero-initialised Buffers) and are reused; a call allocates nothing of the grid's size.
//
// The least-squares view (phase_retrieval_tangent.cpp): residuals r = sqrt(w) (M - D), flat
// over (P, M, M), so that E = |r|^2; their tangent J v (forward mode), cotangent J^T u, the
// Jacobian's columns and the Gauss-Newton product J^T J v. Per plane the primal field G is
// transformed once; a tangent direction costs one more pruned forward transform:
//   tangent  W_dot = sum_k v_k Z_k; g_dot = i 2 pi / lam W_dot g into a second padded field;
//   forward  the same pruned transform (columns, rows) on it;
//   pass T   I_dot = sum_lam 2 s Re(conj(G) G_dot), binned; r_dot = f I_dot_b plus the detector
//            parameters' terms, where f = sqrt(w) M'(I_b) (kept per plane);
// and a cotangent u runs pass B's reverse half with M_bar = sqrt(w) u (G_bar = 2 s f u G), then
// the adjoint transform and pass C as value_and_grad does. Jacobian columns run in parallel,
// one direction per thread with its own tangent buffers and single-threaded plans.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/chunked_fft.hpp"
#include "phasegrad/core/czt.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/core/gathered_columns.hpp"
#include "phasegrad/core/pruned_rows.hpp"
#include "phasegrad/core/team_choice.hpp"

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
  const T* data = nullptr;       // (P, M, M); may be null for a model used only as a PSF engine
  const T* weights = nullptr;    // (P, M, M) or null (all ones)
  double wavelength = 1.0;       // reference wavelength: the FFT path
  std::vector<double> wavelengths, spectral_weights;
};

// A detector model: linear (M = I) or quadratic (M = a I^2 + b I + c).
struct Detector {
  bool quadratic = false;
  double a = 0, b = 1, c = 0;
};

// value_and_grad's fused rows (phase_retrieval.cpp's rows_chunk): a chunk's adjoint row
// transforms from the second half of the forward rows' scratch (core/pruned_rows.hpp), where
// their forward transforms are, back into the first; the whole chunks' plan and the last
// (shorter) chunk's.
template <class T>
struct ScratchRowPlans {
  StridedPlan<T> adjoint, adjoint_last;
};

template <class T>
class FusedPhaseRetrieval {
 public:
  using Complex = std::complex<T>;

  explicit FusedPhaseRetrieval(const PhaseRetrievalConfig<T>& config);
  ~FusedPhaseRetrieval();
  FusedPhaseRetrieval(const FusedPhaseRetrieval&) = delete;
  FusedPhaseRetrieval& operator=(const FusedPhaseRetrieval&) = delete;

  // Set-up that the first call would otherwise pay, for calls on `threads` threads: the plans,
  // each transform run once on that team over the zeroed field, and the calls' first choice of
  // team or one thread, timed (phase_retrieval_prepare.cpp). Optional; the Python model calls
  // it once, right after construction.
  void prepare(int threads);

  // E and its gradients: a_bar (K values, or n * n for a wavefront map) and, for a quadratic
  // detector, p_bar = (dE/da, dE/db, dE/dc). Serialised per model (one set of work buffers).
  double value_and_grad(const T* params, const Detector& detector, T* params_bar,
                        double* detector_bar, int threads);

  // The model images M, (P, M, M).
  void simulate(const T* params, const Detector& detector, T* model, int threads);

  // Bytes of the work buffers the model holds.
  std::size_t workspace_bytes() const;

  // -- the least-squares view (phase_retrieval_tangent.cpp); vectors of residuals in double --
  // Parameters and their tangents/cotangents: params (K values, or n * n for a wavefront map)
  // in the model's precision; detector_dot / detector_bar: 3 doubles for a quadratic detector
  // (null otherwise).

  // r = sqrt(w) (M - D), (P, M, M) flattened.
  void residuals(const T* params, const Detector& detector, double* r, int threads);

  // r_dot = J v for v = (params_dot, detector_dot).
  void jvp(const T* params, const Detector& detector, const T* params_dot,
           const double* detector_dot, double* r_dot, int threads);

  // (params_bar, detector_bar) = J^T u for u of one value per residual.
  void vjp(const T* params, const Detector& detector, const double* u, T* params_bar,
           double* detector_bar, int threads);

  // J^T J v, matrix-free: per plane three transforms (primal, tangent, adjoint).
  void gauss_newton_product(const T* params, const Detector& detector, const T* params_dot,
                            const double* detector_dot, T* params_out, double* detector_out,
                            int threads);

  // The Jacobian's rows of planes [plane_begin, plane_end), transposed: jacobian_t[j * rows + i]
  // = dr_i / dx_j for every parameter j (the wavefront's, then a quadratic detector's three)
  // and rows = (plane_end - plane_begin) M^2 residuals.
  void jacobian(const T* params, const Detector& detector, std::size_t plane_begin,
                std::size_t plane_end, double* jacobian_t, int threads);

  // -- the PSF engine: the passes above, one step at a time, for models built on this one
  // (the imaging stage of models/imaging.hpp, phase diversity). THE CALLER SERIALISES: these
  // take no lock (the calls above keep theirs); never run them concurrently with each other or
  // with the calls above on the same model. A model used only as an engine may have data null.
  //
  //   begin(params, amplitude_or_null, threads);
  //       the synthesis W = sum_k a_k Z_k (or the (n, n) map), the plans for `threads`, and
  //       the pupil amplitude of the following calls: `amplitude_or_null` (n, n), read only on
  //       the support of the constructor's amplitude (its non-zero pixels), or null for the
  //       constructor's own. With an amplitude given, the phasors exp(i theta) are kept for
  //       its gradient (psf_reverse's amplitude_bar) and tangent (begin_tangent's).
  //   psf(plane, intensity, threads);
  //       pass A and the forward transforms of `plane`, then intensity (N, N), unbinned, zero
  //       frequency at (N//2, N//2): I = sum_lam s_lam |G_lam|^2 with s the config's
  //       spectral_weights (pass the photon-fraction band weights there). The plane's fields
  //       stay in the model's buffers for psf_reverse.
  //   psf_reverse(plane, intensity_bar, first_plane, last_plane, params_bar,
  //               amplitude_bar_or_null, threads);
  //       G_bar = 2 s_lam I_bar G in place (intensity_bar (N, N), like intensity), the adjoint
  //       transforms and pass C: W_bar is assigned on first_plane and accumulated after;
  //       params_bar (K, or n * n for a map) is written on last_plane (a map's off the support
  //       is zeroed on first_plane). amplitude_bar (n, n), with begin's amplitude given, is
  //       assigned on first_plane (zero off the support) and accumulated after:
  //       A_bar += sum_lam Re(g_bar conj(exp(i theta))). The plane's fields are recomputed
  //       first when the buffers hold another plane's (or none, after a reverse pass).
  //   begin_tangent(params_dot, amplitude_dot_or_null, threads);   (after begin)
  //       W_dot = sum_k v_k Z_k; amplitude_dot (n, n) needs begin's amplitude.
  //   psf_tangent(plane, intensity_or_null, intensity_dot, threads);
  //       the plane's primal fields (as psf, I written when non-null) and their tangent:
  //       I_dot = sum_lam 2 s_lam Re(conj(G) G_dot), (N, N). psf_reverse of the same plane
  //       may follow directly (the primal fields are kept).
  void begin(const T* params, const T* amplitude_or_null, int threads);
  void psf(std::size_t plane, T* intensity, int threads);
  void psf_reverse(std::size_t plane, const T* intensity_bar, bool first_plane, bool last_plane,
                   T* params_bar, T* amplitude_bar_or_null, int threads);
  void begin_tangent(const T* params_dot, const T* amplitude_dot_or_null, int threads);
  void psf_tangent(std::size_t plane, T* intensity_or_null, T* intensity_dot, int threads);
  // The threads the engine's calls use for `threads` requested (grids below 256^2: one). The
  // public calls above may run on fewer: one thread while that measures faster (a core busy
  // with another process; core/team_choice.hpp), with the same results.
  int engine_threads(int threads) const { return team_size(threads); }

  // Point the model at other data and weights of the same shapes ((P, M, M) each; weights
  // may be null): models/phase_retrieval_batch.hpp runs one model per thread over the problems
  // of a batch this way. The arrays must outlive the calls that read them. THE CALLER
  // SERIALISES: never while another call on this model runs.
  void set_data(const T* data, const T* weights) {
    cfg_.data = data;
    cfg_.weights = weights;
  }

  // What the model was made from, and the side of its (binned) images.
  const PhaseRetrievalConfig<T>& config() const { return cfg_; }
  std::size_t image_size() const { return binned_; }

 private:
  struct Band {  // one wavelength: its buffers, and its plans or scaled DFT
    double weight = 1;              // spectral weight s
    T phase_scale = 1;              // 2 pi / lambda
    bool fft = true;                // the reference wavelength: the FFT path, else `scaled`
    Buffer<Complex> pupil;          // g, (n, n), kept for the gradient pass
    Buffer<Complex> phasor;         // exp(i theta) (times the ramp on the FFT path), (n, n):
                                    // kept only with an engine amplitude (its gradient)
    Buffer<Complex> field;          // padded g, then G, G_bar, and g_bar in its top-left: (N, N)
    std::unique_ptr<ScaledDft2<T>> scaled;  // E g E^T, E[k, x] = exp(-2 pi i s (k - N//2) x)
    // Fixed chunks of single-threaded plans: the columns through a contiguous scratch
    // (core/gathered_columns.hpp), reading the pupil's n rows forward and writing back the
    // crop's n rows in the adjoint; the forward rows read a row's first n columns alone and
    // zero the rest themselves (core/pruned_rows.hpp). The same results on any team. The
    // *_single ones run on the calling thread (the Jacobian's columns).
    PrunedRows<T> rows, rows_single;
    ChunkedPlan<T> rows_adjoint;
    // value_and_grad's fused rows through a per-thread scratch, in the chunks of `rows`
    // (phase_retrieval.cpp's rows_chunk).
    ScratchRowPlans<T> rows_scratch;
    GatheredColumns<T> columns, columns_adjoint, columns_single;
  };
  struct Run {   // a stretch of one pupil row where the amplitude is non-zero
    std::size_t y, x0, x1;
  };
  struct Tangent {  // one thread's tangent buffers
    Buffer<T> wavefront;                 // W_dot, (n, n)
    std::vector<Buffer<Complex>> pupil;  // g_dot per band, (n, n) (the scaled DFT's input)
    std::vector<Buffer<Complex>> field;  // padded g_dot, then G_dot, per band: (N, N)
    Buffer<Complex> staging;             // the scaled DFT's work buffer
  };

  void synthesize(const T* params, T* wavefront, int threads);
  void synthesis_block(const T* params, T* wavefront, std::size_t block) const;
  void synthesis_pupil_block(const T* params, std::size_t block);
  void pupil_fields(std::size_t plane, int threads);
  void pupil_row(Band& band, std::size_t plane, std::size_t y) const;
  void transform_forward(Band& band, const Complex* pupil, Complex* field, Complex* staging,
                         bool single_threaded);
  void transform_adjoint(Band& band);
  double detector_pass(std::size_t plane, const Detector& detector, T* model, bool reverse,
                       double* detector_bar, int threads);
  double rows_pass(std::size_t plane, const Detector& detector, double* detector_bar,
                   int threads);
  bool fused_rows() const;
  bool fused_bands() const;
  double bands_pass(std::size_t plane, const Detector& detector, double* detector_bar);
  double bands_team_pass(std::size_t plane, const Detector& detector, double* detector_bar,
                         int team);
  void gradient_pass(bool first_plane, bool last_plane, T* params_bar, int threads);
  void gradient_block(std::size_t block, bool first_plane, bool last_plane, T* params_bar,
                      double* partial);
  void add_projections(const double* partials, T* params_bar) const;
  double one_region_passes(const T* params, const Detector& detector, T* params_bar,
                           double* detector_bar, int team);
  bool plan_for(int threads);
  // The public calls' kinds, each with its measured fallback of the thread count.
  enum Call { kValueAndGrad, kSimulate, kResiduals, kJvp, kVjp, kGaussNewton, kCalls };
  int start_call(Call call, int threads, bool& planned);
  void ensure_plane(std::size_t plane, int threads);
  void reset_engine();
  void amplitude_pass(bool first_plane, T* amplitude_bar, int threads);
  std::size_t rows_per_block() const;
  std::size_t basis_blocks() const;  // blocks of rows_per_block() rows over the pupil
  int team_size(int threads) const;

  // The least-squares view's steps (phase_retrieval_tangent.cpp).
  void ensure_tangents(std::size_t count);
  void plan_single();
  void primal_plane(std::size_t plane, const Detector& detector, bool detector_quantities,
                    int threads);
  void tangent_field(Tangent& work, bool single_threaded, int threads);
  void tangent_residuals(std::size_t plane, const Tangent& work, const Detector& detector,
                         const double* detector_dot, bool primal_inline, double* r_dot,
                         int threads);
  void cotangent_pass(std::size_t plane, const Detector& detector, const double* u,
                      double* detector_bar, int threads);
  void unit_direction(std::size_t column, T* wavefront_dot) const;

  PhaseRetrievalConfig<T> cfg_;
  std::size_t binned_ = 0;
  std::vector<Run> runs_;
  std::vector<std::size_t> row_runs_;  // runs_ of row y: [row_runs_[y], row_runs_[y + 1])
  std::vector<Complex> ramp_;          // exp(2 pi i (x * (N/2) mod N) / N): the fftshift
  std::vector<std::unique_ptr<Band>> bands_;
  Buffer<T> wavefront_, wavefront_bar_;  // W and W_bar, (n, n)
  // The least-squares view's buffers, made at its first use: per thread a Tangent; per plane
  // f = sqrt(w) M'(I_b) and I_b (M, M), in double; a plane's r_dot for the Gauss-Newton product.
  std::vector<std::unique_ptr<Tangent>> tangents_;
  Buffer<double> slope_, binned_intensity_, plane_residuals_;
  bool single_planned_ = false;
  Buffer<Complex> staging_;              // the scaled DFT's work buffer
  Buffer<Complex> band_rows_;            // bands_pass: per chirp-z band its lines and a
                                         // block of rows of G (made at its first call)
  Buffer<Complex> band_team_;            // bands_team_pass: per chirp-z band its lines;
                                         // per thread a work buffer and per chirp-z band a
                                         // block of rows (made at its first call on a team)
  // The engine's state: the amplitude pass A reads (cfg_.amplitude or begin's), whether the
  // phasors are kept, the plane whose fields G the band buffers hold (-1: none), and the
  // amplitude tangent of begin_tangent (or null).
  const T* amplitude_ = nullptr;
  bool keep_phasor_ = false;
  long long held_plane_ = -1;
  const T* amplitude_dot_ = nullptr;
  int planned_threads_ = 0;
  // A call runs on the team its kind's TeamChoice picks (one thread while a busy core makes
  // the team slower); results are the same on any team.
  TeamChoice choices_[kCalls];
  std::mutex mutex_;
};

}  // namespace phasegrad::models
