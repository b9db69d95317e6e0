// Chunked 2-D real transforms; see models/chunked_real_dft2.hpp.
#include "phasegrad/models/chunked_real_dft2.hpp"

#include <algorithm>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad::models {

namespace {

// Every chunk of `plan` in place on `data`, shared dynamically by `team` threads.
template <class T>
void run_chunks(const ChunkedPlan<T>& plan, std::complex<T>* data, int team) {
  for_each_chunk(plan.chunks(), team, [&](std::size_t c) { plan.execute_chunk(c, data, data); });
}

}  // namespace

template <class T>
ChunkedRealDft2<T>::ChunkedRealDft2(std::size_t grid, const Complex* half)
    : grid_(grid), half_(grid / 2 + 1), pairs_((grid + 1) / 2) {
  pairs_buffer_ = Buffer<Complex>::zeros(pairs_ * grid);
  Complex* pairs = pairs_buffer_.data();
  const StridedBatch rows{grid, pairs_, 1, grid, 1, grid};
  const StridedBatch columns{grid, half_, half_, 1, half_, 1};
  rows_ = ChunkedPlan<T>(rows, transform_row_chunk<T>(grid), false, pairs, pairs, 1);
  rows_inverse_ = ChunkedPlan<T>(rows, transform_row_chunk<T>(grid), true, pairs, pairs, 1);
  columns_ = ChunkedPlan<T>(columns, transform_column_chunk<T>(), false, half, half, 1);
  columns_inverse_ = ChunkedPlan<T>(columns, transform_column_chunk<T>(), true, half, half, 1);
}

template <class T>
void ChunkedRealDft2<T>::forward(const T* in, Complex* out, int team) const {
  const std::size_t grid = grid_, half = half_;
  Complex* buffer = pairs_buffer_.data();
  const ChunkedPlan<T>& rows = rows_;
  const long long chunks = static_cast<long long>(rows.chunks());
  const int row_team = static_cast<int>(std::min<long long>(team, chunks));
#pragma omp parallel for num_threads(row_team) schedule(dynamic, 1) if (row_team > 1)
  for (long long cc = 0; cc < chunks; ++cc) {
    const auto c = static_cast<std::size_t>(cc);
    const std::size_t first = rows.first(c), last = first + rows.count(c);
    for (std::size_t p = first; p < last; ++p) {  // z = a + i b
      T* z = reinterpret_cast<T*>(buffer + p * grid);
      const T* a = in + 2 * p * grid;
      if (2 * p + 1 < grid) {
        const T* b = a + grid;
#pragma omp simd
        for (std::size_t x = 0; x < grid; ++x) {
          z[2 * x] = a[x];
          z[2 * x + 1] = b[x];
        }
      } else {
#pragma omp simd
        for (std::size_t x = 0; x < grid; ++x) {
          z[2 * x] = a[x];
          z[2 * x + 1] = T(0);
        }
      }
    }
    rows.execute_chunk(c, buffer, buffer);
    for (std::size_t p = first; p < last; ++p) {  // A and B from Z(k) and Z(-k)
      const T* z = reinterpret_cast<const T*>(buffer + p * grid);
      T* a = reinterpret_cast<T*>(out + 2 * p * half);
      const bool second = 2 * p + 1 < grid;
      T* b = second ? a + 2 * half : nullptr;
      // k = 0 is its own mirror; the others' mirror is N - k.
      a[0] = z[0];
      a[1] = T(0);
      if (second) {
        b[0] = z[1];
        b[1] = T(0);
      }
      for (std::size_t k = 1; k < half; ++k) {
        const std::size_t m = grid - k;
        const T zr = z[2 * k], zi = z[2 * k + 1], wr = z[2 * m], wi = z[2 * m + 1];
        a[2 * k] = T(0.5) * (zr + wr);
        a[2 * k + 1] = T(0.5) * (zi - wi);
        if (second) {
          b[2 * k] = T(0.5) * (zi + wi);
          b[2 * k + 1] = T(0.5) * (wr - zr);
        }
      }
    }
  }
  run_chunks(columns_, out, team);
}

template <class T>
void ChunkedRealDft2<T>::inverse(Complex* in, T* out, int team) const {
  const std::size_t grid = grid_, half = half_;
  run_chunks(columns_inverse_, in, team);
  Complex* buffer = pairs_buffer_.data();
  const ChunkedPlan<T>& rows = rows_inverse_;
  const long long chunks = static_cast<long long>(rows.chunks());
  const int row_team = static_cast<int>(std::min<long long>(team, chunks));
  // The columns whose values a Hermitian spectrum has real: k = 0 and, for an even N, N/2.
  const std::size_t nyquist = grid % 2 == 0 ? grid / 2 : 0;
#pragma omp parallel for num_threads(row_team) schedule(dynamic, 1) if (row_team > 1)
  for (long long cc = 0; cc < chunks; ++cc) {
    const auto c = static_cast<std::size_t>(cc);
    const std::size_t first = rows.first(c), last = first + rows.count(c);
    for (std::size_t p = first; p < last; ++p) {  // Z = A + i B over the whole row
      T* z = reinterpret_cast<T*>(buffer + p * grid);
      const T* a = reinterpret_cast<const T*>(in + 2 * p * half);
      const bool second = 2 * p + 1 < grid;
      const T* b = second ? a + 2 * half : nullptr;
      for (std::size_t k = 0; k < half; ++k) {
        const bool real = k == 0 || (nyquist != 0 && k == nyquist);
        const T ar = a[2 * k], ai = real ? T(0) : a[2 * k + 1];
        const T br = second ? b[2 * k] : T(0);
        const T bi = second && !real ? b[2 * k + 1] : T(0);
        z[2 * k] = ar - bi;
        z[2 * k + 1] = ai + br;
      }
      for (std::size_t k = half; k < grid; ++k) {  // A(k) = conj A(N - k), B likewise
        const std::size_t m = grid - k;
        const T ar = a[2 * m], ai = a[2 * m + 1];
        const T br = second ? b[2 * m] : T(0), bi = second ? b[2 * m + 1] : T(0);
        z[2 * k] = ar + bi;
        z[2 * k + 1] = br - ai;
      }
    }
    rows.execute_chunk(c, buffer, buffer);
    for (std::size_t p = first; p < last; ++p) {  // a = Re z, b = Im z
      const T* z = reinterpret_cast<const T*>(buffer + p * grid);
      T* a = out + 2 * p * grid;
      if (2 * p + 1 < grid) {
        T* b = a + grid;
#pragma omp simd
        for (std::size_t x = 0; x < grid; ++x) {
          a[x] = z[2 * x];
          b[x] = z[2 * x + 1];
        }
      } else {
#pragma omp simd
        for (std::size_t x = 0; x < grid; ++x) a[x] = z[2 * x];
      }
    }
  }
}

template class ChunkedRealDft2<float>;
template class ChunkedRealDft2<double>;

}  // namespace phasegrad::models
