// A centred 2-D DFT at a scaled frequency spacing, by separable chirp-z (Bluestein) transforms:
// the broadband bands of the fused models, G = E g E^T with
//   E[k, x] = exp(-2 pi i s (k - N//2) x),  k < N (the detector grid), x < n (the pupil),
// for any real spacing s (cycles per pupil sample; s = 1/N is the ordinary fftshifted DFT).
//
// Bluestein's identity s u x = s/2 (u^2 + x^2 - (u - x)^2) turns each 1-D transform into a
// chirp, a convolution with the chirp conj(w) (w(t) = exp(-i pi s t^2)), and a chirp. The N
// outputs go in q blocks of P = ceil(N / q): block b is a circular convolution of length
// M >= P + n - 1 against its own stretch of the chirp, so one FFT of the input serves q inverse
// FFTs (the adjoint: q FFTs of the input's blocks, their products with the conjugate kernels
// summed, one inverse FFT). q is chosen from 1-4 by a cost model of FFTW's speed (a power of two
// is cheaper per point: n = 64, N = 128 takes q = 2 and M = 128 rather than q = 1 and
// M = 192). The n pupil columns are transformed first, then the N rows of E g: a forward costs
// (1 + q) (n + N) FFTs of length M, the adjoint the same in the reverse order; G comes out row
// by row and the adjoint reads G_bar's rows. The n N values between the stages are N lines of
// n, one per row of G, written transposed by the forward's first stage and read transposed by
// the adjoint's last. The chirps' constant factors move between the stages to where they
// cost least (2 n^2 + n N + N^2 complex products a transform, against n^2 + 2 n N + 2 N^2
// applied where they arise). Every FFT runs out of place on contiguous rows, up to 16 rows at
// a time (a block stays in L2 from the chirp to the transposed write of the next stage's
// input; the inverse FFTs write a fourth block, so the input's zero padding is cleared once a
// call). Plans are single-threaded and cached by core/fft; forward and adjoint are const, so
// threads share a transform, each with its own work buffer (the Jacobian's columns). The
// stages are public too: a model runs the rows of all its bands together, a block at a time,
// and on a team hands the blocks of rows and of lines out to its threads
// (models/phase_retrieval.cpp, bands_pass and bands_team_pass).
//
// The periodic mode: at a spacing s = 1/L for an integer L >= n whose only prime factors are
// 2, 3, 5 and 7 (a "snapped" wavelength, L = lam N / lam_ref), E[k, x] = exp(-2 pi i (k - N//2)
// x / L) is the plain DFT of length L of the zero-padded line, its output (k - N//2) mod L
// (periodic: for L < N the detector sees the period repeat, as the chirp-z sums do). Each line
// is then one FFT of length L: the n values zero-padded to L, the FFT, the N outputs gathered
// with the wrap; the adjoint scatter-adds the N values into L with the wrap (the outputs that
// share a residue summed), one inverse FFT, the first n kept. A transform costs (n + N) FFTs
// of length L each way, the monochromatic pair's count, against (1 + q)(n + N) of length M.
// There is no chirp, so `output_chirp` changes nothing: the unit-modulus factor of the
// unchirped form is 1. The constructor takes it when `blocks` is 0 (the cost model's choice),
// s > 0, L = round(1/s) qualifies, |s L - 1| <= 8 eps (double's epsilon) and its cost model
// finds it cheaper than the chirp-z layout (lengths up to a few N). The tolerance: E's phases
// then differ from those at L by at most 2 pi |s - 1/L| (N/2)(n - 1) < pi 8 eps N (n <= L),
// 5.6e-15 N rad (1.4e-12 at N = 256, 5.7e-12 at N = 1024): within about ten times the chirp-z
// path's own rounding of its chirp phases pi s t^2 (t up to N + n: about eps pi (2N)^2 / L, 1.4e-15
// N), below the transform tests' 1e-12 at their sizes (N <= 80: 4.5e-13) and far below the
// models' 1e-10; it covers the few roundings of s = lam_ref / (lam N) for lam = L lam_ref / N
// computed in double (at most about 2 eps) and of wavelengths typed in decimal. rows()
// depends on n and N only (the chirp-z layout's), so that periodic bands of different L run
// their rows together (each periodic stage fills the whole of each line it transforms: it
// needs no zero padding left in `staging` by an earlier stage).
#pragma once

#include <algorithm>
#include <complex>
#include <cstddef>
#include <vector>

#include "phasegrad/core/fft.hpp"

namespace phasegrad {

// The period L at which ScaledDft2(n, grid, spacing) with blocks 0 runs the periodic mode
// (above), or 0 where it runs the chirp-z transform: the one rule, for callers that choose
// wavelengths (pg.snap_wavelengths).
std::size_t scaled_dft2_period(std::size_t n, std::size_t grid, double spacing);

template <class T>
class ScaledDft2 {
 public:
  using Complex = std::complex<T>;

  // n pupil samples per axis, N = grid output samples per axis, spacing s (finite, non-zero);
  // `blocks` output blocks q (0: chosen by the cost model, the periodic mode where it applies;
  // q > 0, at most N: the chirp-z transform with q blocks, whatever the spacing).
  ScaledDft2(std::size_t n, std::size_t grid, double spacing, std::size_t blocks = 0);

  // The smallest length >= minimum whose only prime factors are 2, 3, 5 and 7.
  static std::size_t fft_length(std::size_t minimum);

  // Complex elements of the work buffer `staging` that forward and adjoint need.
  std::size_t staging_size() const {
    return lines_offset_ + lines_size();
  }
  std::size_t length() const { return length_; }    // M (periodic: L)
  std::size_t blocks() const { return blocks_; }     // q (periodic: 1)
  bool periodic() const { return periodic_; }        // plain FFTs of length L (above)
  // Bytes of the chirps and kernel spectra it keeps.
  std::size_t table_bytes() const {
    return sizeof(Complex) * (chirp_in_.size() + chirp_out_.size() + kernels_.size());
  }

  // Makes (or finds) the plans for work buffers aligned like `staging` (not touched); every
  // staging buffer handed to forward/adjoint must be aligned like it.
  void plan(const Complex* staging);

  // field (N, N), row stride N, = E pupil E^T, pupil (n, n) with row stride n. Without
  // `output_chirp`, field[k, l] is that times conj(w(k - N//2) w(l - N//2)): a factor of
  // modulus 1 per pixel, which |G|^2, Re(conj(G) G_dot) and G_bar = c G leave out entirely
  // (the fused models' bands), for N^2 + n N fewer complex products.
  void forward(const Complex* pupil, Complex* field, Complex* staging,
               bool output_chirp = true) const;

  // The top-left (n, n) of field (row stride N) = E^H field conj(E), from field (N, N); the
  // rest of field is left as it was. Without `output_chirp`, the adjoint of forward's
  // unchirped transform: E^H (field w(k - N//2) w(l - N//2)) conj(E).
  void adjoint(Complex* field, Complex* staging, bool output_chirp = true) const;

  // The stages, for a caller that runs the rows of several transforms together, a block of
  // rows() rows at a time (the fused models' bands): forward is forward_columns, then
  // forward_rows for k0 = 0, rows(), 2 rows(), ... < N; adjoint is adjoint_rows for the same k0,
  // then adjoint_columns. `lines` (lines_size() elements: N lines of n values) holds the
  // values between a direction's stages, line k for row k of G: forward_rows(k0) reads lines
  // k0 .. k0 + rows() and adjoint_rows(k0) writes them, so one buffer serves both directions
  // when each block's adjoint_rows follows its forward_rows (the models' bands: half the
  // lines a separate buffer per direction would hold). `rows` points to row k0 of G
  // (forward's output, adjoint's input; min(rows(), N - k0) rows, row stride N). The same
  // results as forward and adjoint, bit for bit. Between forward_columns and the end of the
  // adjoint, `staging` may be used by the stages of other transforms of the same n, N and
  // blocks() only (a chirp-z transform: its padding stays zero), or, for a periodic one, by
  // the stages of other periodic transforms of the same n and N (any L).
  std::size_t rows() const { return rows_; }
  std::size_t lines_size() const { return lines_pitch_ * grid_; }  // (N, n)
  void forward_columns(const Complex* pupil, Complex* lines, Complex* staging,
                       bool output_chirp) const;
  void forward_rows(std::size_t k0, const Complex* lines, Complex* rows, Complex* staging,
                    bool output_chirp) const;
  void adjoint_rows(std::size_t k0, const Complex* rows, Complex* lines, Complex* staging,
                    bool output_chirp) const;
  void adjoint_columns(const Complex* lines, Complex* field, Complex* staging,
                       bool output_chirp) const;

  // The column stages a block of rows() pupil columns (adjoint: lines) at a time, for a team
  // that splits them (block c < column_blocks(); each block's results do not depend on which
  // staging buffer or thread ran it). `staging` needs only work_size() elements here, and
  // its blocks' padding must be zero beyond max(n, P) (a zeroed buffer, used by transforms of
  // this layout only: no stage writes there; a periodic transform needs no zeros).
  std::size_t column_blocks() const { return (n_ + rows_ - 1) / rows_; }
  std::size_t work_size() const { return lines_offset_; }
  void forward_column_block(std::size_t c, const Complex* pupil, Complex* lines,
                            Complex* staging, bool output_chirp) const;
  void adjoint_column_block(std::size_t c, const Complex* lines, Complex* field,
                            Complex* staging, bool output_chirp) const;

 private:
  struct RowPlans {  // `count` rows of length M, `pitch` apart, out of place
    std::size_t count;
    StridedPlan<T> forward, inverse;
  };
  struct Work {  // four blocks of rows (the input, its spectrum, a product, the inverse FFT's
                 // result) and the lines
    Complex *block, *spectrum, *product, *result, *lines;
  };
  const RowPlans& row_plans(std::size_t count) const;
  Work work(Complex* staging) const;
  void clear_padding(const Work& work, std::size_t from) const;
  // Zeros from `from` to max(n, P) in every row of the input block (what the other direction's
  // fills may have written; beyond stays zero from clear_padding).
  void clear_between(const Work& work, std::size_t from) const;
  // Forward lines: fill(block) writes `count` inputs of length n (the padding to M is zero);
  // then, for each output block b, emit(b, block) reads its P outputs per row from `block`.
  template <class Fill, class Emit>
  void convolve(const Work& work, std::size_t count, const Fill& fill, const Emit& emit) const;
  // Adjoint lines: fill(b, block) writes input block b (P values, zero-padded to M) of `count`
  // rows; emit(block) reads the n outputs per row.
  template <class Fill, class Emit>
  void correlate(const Work& work, std::size_t count, const Fill& fill, const Emit& emit) const;
  // Column block c of each direction's first (last) stage, the padding already cleared.
  void forward_block(const Work& work, std::size_t c, const Complex* pupil, Complex* lines,
                     bool output_chirp) const;
  void adjoint_block(const Work& work, std::size_t c, const Complex* lines, Complex* field,
                     bool output_chirp) const;
  // The periodic mode's stages (the block holds the lines' inputs, the spectrum their FFTs).
  void periodic_forward_block(const Work& work, std::size_t c, const Complex* pupil,
                              Complex* lines) const;
  void periodic_forward_rows(const Work& work, std::size_t k0, const Complex* lines,
                             Complex* rows) const;
  void periodic_adjoint_rows(const Work& work, std::size_t k0, const Complex* rows,
                             Complex* lines) const;
  void periodic_adjoint_block(const Work& work, std::size_t c, const Complex* lines,
                              Complex* field) const;

  std::size_t n_, grid_, blocks_, block_size_, length_;
  std::size_t pitch_;        // elements from one row of length M to the next (64-byte steps,
                             // not a multiple of 512 bytes)
  std::size_t lines_pitch_;  // the same for the lines, of length n
  std::size_t rows_;         // rows per block of lines
  std::size_t lines_offset_;
  bool periodic_ = false;
  std::size_t wrap_start_ = 0;      // periodic: (-(N//2)) mod L, the residue of output k = 0
  std::vector<Complex> chirp_in_;   // w(x), x < n
  std::vector<Complex> chirp_out_;  // w(k - N//2), k < N
  std::vector<Complex> kernels_;    // per output block b, (q, M): the spectrum of the chirp
                                    // conj(w(b P + d - N//2)), d = -(n-1) .. P-1, over M
  std::vector<RowPlans> plans_;     // for a block of rows and the shorter last blocks
};

}  // namespace phasegrad
