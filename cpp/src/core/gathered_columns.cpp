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
  std::complex<T>* work = scratch<T>(chunk_ * length_);  // aligned like every run's scratch
  full_ = plan_strided_dft1<T>({length_, chunk_, 1, length_, 1, length_}, inverse, work, work, 1);
  const std::size_t rest = columns_ % chunk_;
  last_ = rest == 0 ? full_
                    : plan_strided_dft1<T>({length_, rest, 1, length_, 1, length_}, inverse,
                                           work, work, 1);
}

template <class T>
void GatheredColumns<T>::execute_chunk(std::size_t c, std::complex<T>* plane) const {
  const std::size_t x0 = c * chunk_, width = std::min(chunk_, columns_ - x0);
  const std::size_t length = length_, stride = stride_;
  std::complex<T>* work = scratch<T>(chunk_ * length);
  // Gather: column x0 + j becomes the scratch's row j.
  for (std::size_t y = 0; y < read_rows_; ++y) {
    const std::complex<T>* row = plane + y * stride + x0;
    for (std::size_t j = 0; j < width; ++j) work[j * length + y] = row[j];
  }
  if (read_rows_ < length) {
    for (std::size_t j = 0; j < width; ++j) {
      std::memset(static_cast<void*>(work + j * length + read_rows_), 0,
                  sizeof(std::complex<T>) * (length - read_rows_));
    }
  }
  (width == chunk_ ? full_ : last_).execute(work, work);
  for (std::size_t y = 0; y < write_rows_; ++y) {
    std::complex<T>* row = plane + y * stride + x0;
    for (std::size_t j = 0; j < width; ++j) row[j] = work[j * length + y];
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
