// The fused hologram model (python/phasegrad/models/hologram.py; the spec is
// python/phasegrad/models/reference_hologram.py):
//
//   I   = | fftshift(ifft2(ifftshift(exp(i phi)))) |^2      (ifft2 scaled by 1 / N, N = rows cols)
//   I_r = I * mean(T) / mean(I)
//   E   = mean((I_r - T)^2)
//
// and phi_bar = dE/dphi, in three passes over memory and two FFTs:
//
// 1. phasor pass: phasor[j] = exp(i (phi[j + h] + ramp[j])). The ifftshift is the index shift
//    j + h (h = (rows / 2, cols / 2), mod the extents), folded into where phi is read; the
//    fftshift of the transform's output is the phase ramp exp(i ramp[j]),
//    ramp[j] = -2 pi (j . h mod size) / size per axis, on its input (the DFT shift theorem;
//    (-1)^(j1 + j2) for even extents), from tables computed with integer modular arithmetic
//    and added to the angle. Then G = IDFT_u(phasor) is the centred field times N, in natural
//    order: no permutation pass. |phasor|^2 = 1, so sum |phasor|^2 = N: no sum is formed.
// 2. Backward FFT, phasor -> field (out of place: the phasor is needed again in pass 3).
// 3. residual pass: I = |G|^2 / N^2, r = s I - T with s = sum(T) / sum(I), E = sum r^2 / N (a
//    sum of squared residuals in double; r itself in T), and field <- (4 s / N^3) r G in
//    place: the cotangent of G, scaled so that the forward FFT turns it into the phasor's
//    cotangent. Parseval gives sum(I) = sum|phasor|^2 / N = 1, so no reduction pass reads the
//    field before this one. mean_normalize_vjp's second term, -(s / sum I) sum(I_bar_r I), is
//    a constant added to every I_bar; it reaches the phasor's cotangent as a real multiple of
//    the phasor itself (the FFT pair is N times the identity), whose projection
//    Im(phasor_bar conj(phasor)) is zero: it is left out, exactly.
// 4. Forward FFT in place: phasor_bar = DFT_u(field) (idft2_vjp).
// 5. gradient pass: phi_bar[j + h] = Im(phasor_bar[j] conj(phasor[j])) (expi_vjp; the ramp is a
//    constant added to the angle, so d(angle)/d(phi) = 1), written through the same index
//    shift.
//
// value_and_grad runs these five steps as three passes over memory where every row of the
// field fills whole cache lines (cols a multiple of 64 bytes of complex numbers): each 2-D
// transform is split into its row and column stages of 1-D transforms, run by this object's
// own single-threaded plans, and the element-wise passes ride along with the stages while the
// data is in cache:
//   A. a band of rows: pass 1, then the backward row transforms, phasor -> field;
//   B. a chunk of adjacent columns, copied transposed into a thread's contiguous scratch
//      (each column a contiguous row there: the 1-D plans run on unit strides): the backward
//      column transforms (G is complete there), pass 3, the forward column transforms, and
//      back into the field;
//   C. a band of rows: the forward row transforms into a thread's scratch (the field is not
//      written back), then pass 5.
// From 16 MiB phasor planes on (see Phasor), A makes the band's phasor in a thread's scratch
// instead of phasor_, and C computes it again from phi: phi read twice instead of the phasor
// plane written and read back. A also finds phi's NaN and infinity (value_and_grad).
// The 2-D transforms read and write the plane twice each; here the stages and passes together
// do it three times. Bands and chunks are fixed by the extents alone and the chunks' sums of
// squares are added in chunk order: E and phi_bar are the same bits on any number of threads.
// The other splits (see Split, forced for benchmarks) give the same E and phi_bar to rounding,
// not to the bit.
//
// The least-squares view (r, J v, J^T u, J^T J v, J, J^T J and J^T r; every vector in double)
// writes the residuals r = (I_r - T) / sqrt(N), so that E = |r|^2, and differentiates them. With
// c = 2 s / (N^2 sqrt N) (s / N^2 is what forward() returns), the tangent of I_r = s |G|^2 / N^2
// along v is r_dot = c Re(conj(G) G_dot), G_dot = IDFT_u(i phasor v[j + h]): the chain of
// expi, the transform, abs2 and mean_normalize forward. mean_normalize's second tangent term,
// -I_r sum(I_dot) / sum(I), is zero exactly: by Parseval sum(I) = sum|phasor|^2 / N = 1 for
// every phi, so its derivative sum(I_dot) vanishes along any v (the same fact that drops the
// constant term of the reverse pass above). So
//
//   J[k, j + h] = c Re(i conj(G[k]) phasor[j] w^(j k)),   w^(j k) = exp(2 pi i (j1 k1 / rows
//                                                                      + j2 k2 / cols)),
//
// since the field's tangent along a unit tangent is a plane wave: jacobian() writes each column
// from twiddle tables, without a transform. Its Gram matrix, with Re a Re b = Re(a b + a conj(b)) / 2, is
//
//   (J^T J)[i + h, j + h] = (c^2 / 2) Re(phasor[i] conj(phasor[j]) P[i - j]
//                                        - phasor[i] phasor[j] Q[i + j]),
//   P = IDFT_u(|G|^2),  Q = IDFT_u(conj(G)^2)  (indices mod the extents),
//
// and (J^T r)[j + h] = c Re(i phasor[j] R[j]), R = IDFT_u(r conj(G)): gauss_newton() forms
// J^T J from three transforms (one batch) in O(N^2), never J. The matrix-free products:
// jvp() is the forward transform and one tangent transform; vjp() is the reverse pass above
// with the cotangent u of r in place of E's, dE/dr = 2 r; gauss_newton_product() chains the
// two (forward, tangent and adjoint transforms: three FFTs).
//
// The two work buffers are allocated once per object (aligned Buffers, so every call runs the
// same cached FFTW plans; on transparent huge pages from 2 MiB on, like the target's chunk
// layout, see Buffer::huge_pages and docs/holography.md), the least-squares view's extra
// planes (one for a tangent, three for gauss_newton) on first use and then kept; every pass
// overwrites what it uses whole: no state survives a call. Calls on one object serialise on a
// mutex; the caller releases the GIL first.
// Sums run over rows into per-row partial sums added in row order, so E does not depend on the
// thread count.
#pragma once

#include <complex>
#include <cstddef>
#include <mutex>
#include <vector>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/fft.hpp"

namespace phasegrad::models {

template <class T>
class FusedHologram {
 public:
  // Copies the rows x cols target T (non-negative, not all zero: the caller checks) and
  // allocates the work buffers. Throws std::invalid_argument for an empty target.
  FusedHologram(const T* target, std::size_t rows, std::size_t cols);
  FusedHologram(const FusedHologram&) = delete;
  FusedHologram& operator=(const FusedHologram&) = delete;

  std::size_t rows() const { return rows_; }
  std::size_t cols() const { return cols_; }

  // E (returned) and dE/dphi (written to phi_bar); phi and phi_bar are rows x cols,
  // C-contiguous. Thread-safe: concurrent calls on one object run one after another. Throws
  // std::invalid_argument ("phi must be finite; ...") when phi holds NaN or infinity, before
  // phi_bar is written (the blocked and hybrid splits find it in pass A, whose excess over the
  // sin/cos range is NaN or infinite there, after which only the object's own buffers have been
  // written; the whole-plane path in a first pass over phi): the caller need not scan phi.
  double value_and_grad(const T* phi, T* phi_bar, int threads);

  // value_and_grad's two transforms alone, on the object's own buffers and plans, without the
  // passes (for the benchmarks, which subtract it to give the passes' share): the blocked
  // path's row and column stages with their copies through scratch (returns true), or the two
  // 2-D transforms where value_and_grad takes those (false).
  bool transforms_only(int threads);

  // How value_and_grad splits its transforms where the blocked path applies (see the .cpp):
  // blocked, every stage by single-threaded plans on the team's bands and chunks (the same
  // bits on any team); hybrid, the column stages by FFTW's plans on the team over the whole
  // plane; whole, FFTW's 2-D plans on the team with the passes as sweeps of their own.
  // automatic (the default): blocked (measured in the .cpp).
  enum class Split { automatic, blocked, hybrid, whole };
  // For benchmarks: force a split (automatic restores the default).
  void set_split(Split split);
  // The split value_and_grad takes on `threads` threads (the same on any team today); whole
  // where the blocked path does not apply.
  Split split(int threads);

  // Where the blocked and hybrid splits keep the phasor for pass 5: kept, in phasor_ (pass 1
  // writes it, pass 5 reads it back); recomputed, only in a thread's scratch for the band's
  // row transforms, and pass 5 computes it again from phi (the same bits: the same sine and
  // cosine, and rows redone with libm are kept). automatic (the default): recomputed where
  // the phasor plane has 16 MiB or more (measured in the .cpp), kept below.
  enum class Phasor { automatic, kept, recomputed };
  // For benchmarks and tests: force the choice (automatic restores the default).
  void set_phasor(Phasor phasor);
  // What value_and_grad takes (kept where the blocked path does not apply).
  Phasor phasor();

  // The normalised reconstruction I_r = I mean(T) / mean(I), written to image (rows x cols).
  void simulate(const T* phi, T* image, int threads);

  // The least-squares view; phi is rows x cols in T, every other vector is flat, in double,
  // of N = rows cols values (the parameters and the residuals are both pixels).
  // r = (I_r - T) / sqrt(N), so that value_and_grad's E = |r|^2.
  void residuals(const T* phi, double* r, int threads);
  // J v: two FFTs.
  void jvp(const T* phi, const double* v, double* out, int threads);
  // J^T u: two FFTs.
  void vjp(const T* phi, const double* u, double* out, int threads);
  // J^T (J v): three FFTs.
  void gauss_newton_product(const T* phi, const double* v, double* out, int threads);
  // J, N x N row-major (row k: residual k; column j: phase j): one FFT and a plane wave per
  // column.
  void jacobian(const T* phi, double* jac, int threads);
  // J^T J (N x N, symmetric exactly) and J^T r (N): four FFTs, J never formed.
  void gauss_newton(const T* phi, double* jtj, double* jtr, int threads);

 private:
  // value_and_grad's finiteness check (see there), on the team.
  void check_finite(const T* phi, int team);
  // Pass 1 and the backward FFT: fills phasor_ and field_ (G), returns s / N^2, the factor
  // that turns |G|^2 into I_r.
  double forward(const T* phi, int team);
  // Pass 1 on one row: the phasor's row `row` from phi, written to `phasor` (cols values).
  // Returns kFast where every phase was within sincos_limit<T>(), kLibm where the row was
  // redone with libm (a phase beyond the limit), kNonfinite where its phi row holds NaN or
  // infinity (also redone with libm).
  enum RowKind : unsigned char { kFast, kLibm, kNonfinite };
  RowKind phasor_row(const T* phi, std::size_t row, std::complex<T>* phasor) const;
  // Its stages, with the passes (kPasses) or without them (transforms_only()).
  // kThreadedColumns: the column stages by FFTW's plans on the team over the whole plane, with
  // the residual pass as a sweep of its own between them (the hybrid split).
  template <bool kPasses, bool kThreadedColumns = false>
  double run_blocked(const T* phi, T* phi_bar, int team);
  void plan_blocked();
  void plan_threaded_columns(int team);
  // The split where the blocked path applies, and the call by one.
  Split split_for() const;
  Phasor phasor_for() const;
  double run_split(Split split, const T* phi, T* phi_bar, int team);
  // The whole-plane path after forward(): pass 3, the forward 2-D FFT and pass 5.
  double finish_whole(double to_normalised, T* phi_bar, int team);
  // The residual pass on the whole field_ in place: the sum of squared residuals, rows in order.
  double residual_rows(double to_normalised, double to_cotangent, int team);
  std::size_t scratch_size() const;
  // tangent_ <- G_dot = IDFT_u(i phasor v[j + h]) (after forward()).
  void tangent(const double* v, int team);
  // out[j + h] = Im(cotangent[j] conj(phasor[j])): expi_vjp through the ifftshift.
  template <class Out>
  void project(const std::complex<T>* cotangent, Out* out, int team) const;
  // Room for `planes` rows x cols planes in extra_, allocated on first use.
  std::complex<T>* extra(std::size_t planes);

  std::size_t rows_, cols_;
  std::size_t row_shift_, col_shift_;  // the ifftshift: rows / 2, cols / 2
  std::vector<T> target_;
  double target_sum_;
  // -2 pi (j h mod size) / size per row and per column: the fftshift as an input phase ramp.
  std::vector<T> row_ramp_, col_ramp_;
  std::vector<double> row_sums_;  // per-row partial sums, added in row order
  std::vector<T> finite_probes_;  // check_finite's per-block probes
  // The blocked path's pass A: each row's RowKind (pass C recomputes the fast rows' phasor).
  std::vector<unsigned char> row_kinds_;
  Phasor forced_phasor_ = Phasor::automatic;
  Buffer<std::complex<T>> phasor_;  // rows x cols
  Buffer<std::complex<T>> field_;   // rows x cols
  // The least-squares view's planes (tangent, or P, Q, R of gauss_newton): empty until used.
  Buffer<std::complex<T>> extra_;
  // exp(2 pi i q / rows), exp(2 pi i q / cols): the plane waves of jacobian().
  std::vector<std::complex<double>> row_waves_, col_waves_;
  // The blocked value_and_grad: its column chunk (0: the path is off), the target in the
  // chunks' layout, the chunks' sums of squares, and its four single-threaded 1-D plans.
  std::size_t chunk_ = 0;
  Buffer<T> target_chunks_;
  std::vector<double> chunk_sums_;
  bool planned_ = false;
  std::size_t band_ = 1;
  bool primed_ = false;  // transforms_only() has put numbers into the buffers
  StridedPlan<T> row_inverse_, row_forward_, column_inverse_, column_forward_;
  // The hybrid split's column stages, in place on field_, on column_team_ threads.
  StridedPlan<T> threaded_inverse_, threaded_forward_;
  int column_team_ = 0;
  Split forced_ = Split::automatic;
  std::mutex mutex_;
};

}  // namespace phasegrad::models
