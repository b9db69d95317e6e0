// Columns transformed through a contiguous scratch; see core/gathered_columns.hpp.
#include "phasegrad/core/gathered_columns.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "phasegrad/core/buffer.hpp"

namespace phasegrad {

namespace {

// The calling thread's scratch of at least `elements` (64-byte aligned, like the buffers the
// plans were made for), kept for the thread's next calls: a call allocates only the first time.
template <class T>
std::complex<T>* scratch(std::size_t elements) {
  thread_local Buffer<std::complex<T>> buffer;
  if (buffer.size() < elements) buffer = Buffer<std::complex<T>>(elements);
  return buffer.data();
}

}  // namespace

template <class T>
GatheredColumns<T>::GatheredColumns(std::size_t length, std::size_t columns,
                                    std::size_t stride, std::size_t read_rows,
                                    std::size_t write_rows, std::size_t chunk, bool inverse,
                                    int team)
    : length_(length), columns_(columns), stride_(stride),
      read_rows_(std::min(read_rows, length)), write_rows_(std::min(write_rows, length)),
      chunk_(std::max<std::size_t>(1, std::min(chunk, columns))), team_(team < 1 ? 1 : team) {
  if (length == 0 || columns == 0 || stride < columns) {
    throw std::invalid_argument("gathered columns need a length, columns and a wide stride");
  }
  // Column j of a chunk is the scratch's elements j, j + chunk, j + 2 chunk, ...: rows of the
  // chunk copied whole, the transforms vectorised across adjacent columns as FFTW prefers.
  std::complex<T>* work = scratch<T>(chunk_ * length_);  // aligned like every run's scratch
  full_ = plan_strided_dft1<T>({length_, chunk_, chunk_, 1, chunk_, 1}, inverse, work, work, 1);
  const std::size_t rest = columns_ % chunk_;
  last_ = rest == 0 ? full_
                    : plan_strided_dft1<T>({length_, rest, chunk_, 1, chunk_, 1}, inverse, work,
                                           work, 1);
}

template <class T>
void GatheredColumns<T>::execute_chunk(std::size_t c, std::complex<T>* plane) const {
  const std::size_t x0 = c * chunk_, width = std::min(chunk_, columns_ - x0);
  const std::size_t length = length_, stride = stride_;
  std::complex<T>* work = scratch<T>(chunk_ * length);
  const std::size_t bytes = sizeof(std::complex<T>) * width;
  for (std::size_t y = 0; y < read_rows_; ++y) {
    std::memcpy(static_cast<void*>(work + y * chunk_), plane + y * stride + x0, bytes);
  }
  if (read_rows_ < length) {
    std::memset(static_cast<void*>(work + read_rows_ * chunk_), 0,
                sizeof(std::complex<T>) * chunk_ * (length - read_rows_));
  }
  (width == chunk_ ? full_ : last_).execute(work, work);
  for (std::size_t y = 0; y < write_rows_; ++y) {
    std::memcpy(static_cast<void*>(plane + y * stride + x0), work + y * chunk_, bytes);
  }
}

template <class T>
void GatheredColumns<T>::execute(std::complex<T>* plane) const {
  const long long count = static_cast<long long>(chunks());
  const int team = static_cast<int>(std::min<long long>(team_, count));
#pragma omp parallel for num_threads(team) schedule(dynamic, 1) if (team > 1)
  for (long long c = 0; c < count; ++c) execute_chunk(static_cast<std::size_t>(c), plane);
}

template <class T>
GatheredColumns<T> GatheredColumns<T>::with_team(int team) const {
  GatheredColumns copy = *this;
  copy.team_ = team < 1 ? 1 : team;
  return copy;
}

template class GatheredColumns<float>;
template class GatheredColumns<double>;

}  // namespace phasegrad
