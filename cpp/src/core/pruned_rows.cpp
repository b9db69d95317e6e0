// Rows transformed in chunks through a per-thread scratch, their unread columns zero there;
// see core/pruned_rows.hpp.
#include "phasegrad/core/pruned_rows.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/cache_lines.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad {

template <class T>
PrunedRows<T>::PrunedRows(std::size_t length, std::size_t rows, std::size_t read_columns,
                          std::size_t chunk, bool inverse, int team)
    : length_(length), rows_(rows), read_(std::min(read_columns, length)),
      chunk_(std::max<std::size_t>(1, std::min(chunk, rows))), team_(team < 1 ? 1 : team) {
  if (length == 0 || rows == 0) throw std::invalid_argument("pruned rows need a length and rows");
  half_ = whole_lines<std::complex<T>>(chunk_ * length_);
  const auto [input, output] = scratch();
  const std::size_t count_chunks = (rows_ + chunk_ - 1) / chunk_;
  plans_.reserve(count_chunks);
  for (std::size_t c = 0; c < count_chunks; ++c) {
    plans_.push_back(plan_strided_dft1<T>({length_, count(c), 1, length_, 1, length_}, inverse,
                                          input, output, 1));
  }
}

template <class T>
std::size_t PrunedRows<T>::count(std::size_t c) const {
  return std::min(chunk_, rows_ - first(c));
}

template <class T>
std::pair<std::complex<T>*, std::complex<T>*> PrunedRows<T>::scratch() const {
  std::complex<T>* work = thread_scratch<PrunedRows<T>, std::complex<T>>(2 * half_);
  return {work, work + half_};
}

template <class T>
std::complex<T>* PrunedRows<T>::transform_chunk(std::size_t c,
                                                const std::complex<T>* plane) const {
  using Complex = std::complex<T>;
  const auto [input, output] = scratch();
  const Complex* rows = plane + first(c) * length_;
  const std::size_t rows_here = count(c);
  for (std::size_t r = 0; r < rows_here; ++r) {
    std::memcpy(static_cast<void*>(input + r * length_), rows + r * length_,
                sizeof(Complex) * read_);
    std::memset(static_cast<void*>(input + r * length_ + read_), 0,
                sizeof(Complex) * (length_ - read_));
  }
  plans_[c].execute(input, output);
  return output;
}

template <class T>
void PrunedRows<T>::execute_chunk(std::size_t c, std::complex<T>* plane) const {
  const std::complex<T>* output = transform_chunk(c, plane);
  std::memcpy(static_cast<void*>(plane + first(c) * length_), output,
              sizeof(std::complex<T>) * count(c) * length_);
}

template <class T>
void PrunedRows<T>::execute(std::complex<T>* plane) const {
  for_each_chunk(plans_.size(), team_, [&](std::size_t c) { execute_chunk(c, plane); });
}

template <class T>
PrunedRows<T> PrunedRows<T>::with_team(int team) const {
  PrunedRows copy = *this;
  copy.team_ = team < 1 ? 1 : team;
  return copy;
}

template class PrunedRows<float>;
template class PrunedRows<double>;

}  // namespace phasegrad
