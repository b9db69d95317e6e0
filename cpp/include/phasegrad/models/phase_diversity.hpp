// The fused object-eliminated phase-diversity metric (Gonsalves 1982; Paxman, Schulz & Fienup
// 1992) with its exact gradient, in phasegrad's gradient convention.
//
// K >= 2 images d_k of one unknown scene through the PSFs I_k of a wavefront plus known
// diversity phases, on the N x N grid (no binning). The PSFs and their reverse pass are
// FusedPhaseRetrieval<T> engines' (their psf / psf_reverse methods), one engine per image: an
// engine holds one plane's fields, so that with one per image no image's forward transforms
// run twice (one shared engine recomputes K - 1 planes' fields for the reverse pass: measured
// 1.04x and 1.07x the time of a call at n = 32 and 64); this model adds the frequency part:
//   PSFs     I_k (N, N) for every image, packed two to a complex buffer through the ifftshift:
//            z_p = ifftshift(I_2p) + i ifftshift(I_2p+1) (the last one alone for odd K);
//   forward  one complex 2-D FFT per pair: Z_p = S_2p + i S_2p+1, the OTFs' pair;
//   pass F   per frequency f of the columns [0, N/2] (OpenMP over rows handed out
//            dynamically, row sums added in row order), in double whatever T (every quantity
//            is Hermitian: the other columns are their mirrors'):
//            S_2p = (Z_p(f) + conj(Z_p(-f))) / 2, S_2p+1 = (Z_p(f) - conj(Z_p(-f))) / 2i;
//            Q = gamma + sum_k |S_k|^2, U = sum_k D_k conj(S_k), O = U / Q;
//            e(f) = sum_k |D_k - O S_k|^2 + gamma |O|^2 (the residual form: no cancellation);
//            S_k_bar = -(2 / N^2) conj(O) (D_k - O S_k), packed as Y_p = S_2p_bar + i S_2p+1_bar;
//   adjoint  one inverse complex 2-D FFT per pair: I_k_bar = fftshift of its real (even k) or
//            imaginary (odd k) part (each S_k_bar is Hermitian, so each half is real);
//   reverse  each engine's psf_reverse with its I_k_bar; a_bar is the sum of their gradients.
// E = (1 / N^2) sum_f e(f). The data's spectra D_k = DFT2(ifftshift(d_k)) are made once, in
// the constructor. Work buffers belong to the model; calls are serialised (a mutex).
//
// Threads: the pairs' transforms run as fixed chunks of single-threaded plans shared
// dynamically (core/chunked_fft.hpp), pass F's rows are handed out dynamically with the row
// sums added in row order, and the engines' passes are chunked too, so every result is
// bit-for-bit the same on any team. Each call kind has its measured fallback of the thread
// count (core/team_choice.hpp): one thread while that measures faster (another process keeping
// a core busy), with the same results.
#pragma once

#include <complex>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/chunked_fft.hpp"
#include "phasegrad/core/fft.hpp"
#include "phasegrad/core/team_choice.hpp"
#include "phasegrad/models/chunked_real_dft2.hpp"
#include "phasegrad/models/phase_retrieval.hpp"

namespace phasegrad::models {

template <class T>
class FusedPhaseDiversity {
 public:
  using Complex = std::complex<T>;

  // `config` is the PSF engine's: bin 1, planes = K >= 2, data = the (K, N, N) images (the
  // engine's own metric is never used). gamma > 0.
  FusedPhaseDiversity(const PhaseRetrievalConfig<T>& config, double regularization);
  ~FusedPhaseDiversity();
  FusedPhaseDiversity(const FusedPhaseDiversity&) = delete;
  FusedPhaseDiversity& operator=(const FusedPhaseDiversity&) = delete;

  // Set-up that the first call would otherwise pay, for calls on `threads` threads: the plans
  // (the engines' and the pairs'), the team's start, pass F's scratch and the first touch of
  // every buffer, by value_and_grad's passes over a zero wavefront on that team, then timed on
  // the team and on one thread for the calls' first choice (phase_diversity_prepare.cpp).
  // Optional (the same results without it); the Python model calls it once, right after
  // construction.
  void prepare(int threads);

  // E and a_bar (J values, or n * n for a wavefront map).
  double value_and_grad(const T* params, T* params_bar, int threads);

  // The scene fftshift(Re(IDFT2(O))), (N, N).
  void estimate_object(const T* params, T* object, int threads);

  std::size_t workspace_bytes() const;
  const PhaseRetrievalConfig<T>& config() const { return cfg_; }

 private:
  struct Row;  // one thread's scratch rows of pass F (phase_diversity.cpp)
  // The calls' kinds, each with its measured fallback of the thread count.
  enum Call { kValueAndGrad, kEstimateObject, kCalls };
  int start_call(Call call, int threads);
  void finish_call(Call call, const Stopwatch& watch);
  void plan_for(int threads);
  double passes(const T* params, T* params_bar, int threads);
  void otf_pairs(const T* params, int threads);
  void wiener_row(std::size_t y, std::size_t columns, Row& row) const;

  PhaseRetrievalConfig<T> cfg_;
  std::vector<std::unique_ptr<FusedPhaseRetrieval<T>>> engines_;  // one per image
  std::size_t images_ = 0, grid_ = 0, pairs_ = 0;
  double gamma_ = 0;
  Buffer<Complex> data_spectra_;  // D_k, (K, N, N)
  Buffer<T> image_;               // one PSF, then one PSF cotangent, (N, N)
  Buffer<T> gradient_;            // one engine's a_bar (J, or n * n)
  Buffer<Complex> otfs_;          // Z_p, (pairs, N, N)
  Buffer<Complex> otfs_bar_;      // Y_p, then their inverse transforms, (pairs, N, N)
  std::vector<std::unique_ptr<Row>> rows_;  // pass F's scratch, one per thread
  std::vector<double> zeros_;               // N zeros: the missing half of an odd K's last pair
  // In place on an (N, N) pair: every row, then every column, forward and inverse.
  ChunkedPlan<T> rows_plan_, columns_, rows_inverse_, columns_inverse_;
  int planned_threads_ = 0;
  // A call runs on the team its kind's TeamChoice picks; a kind's first call (which plans) is
  // not compared.
  TeamChoice choices_[kCalls];
  bool warm_[kCalls] = {};
  std::mutex mutex_;
};

}  // namespace phasegrad::models
