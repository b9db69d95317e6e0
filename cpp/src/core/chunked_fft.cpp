// Fixed chunks of single-threaded FFTW plans, shared dynamically; see core/chunked_fft.hpp.
#include "phasegrad/core/chunked_fft.hpp"

#include <algorithm>
#include <stdexcept>

#include "phasegrad/core/parallel.hpp"

namespace phasegrad {

template <class T>
ChunkedPlan<T>::ChunkedPlan(const StridedBatch& layout, std::size_t chunk, bool inverse,
                            const std::complex<T>* in, const std::complex<T>* out, int team)
    : layout_(layout), chunk_(std::max<std::size_t>(1, std::min(chunk, layout.howmany))),
      team_(team < 1 ? 1 : team) {
  if (layout.howmany == 0) throw std::invalid_argument("a chunked transform needs a batch");
  const std::size_t chunks = (layout.howmany + chunk_ - 1) / chunk_;
  plans_.reserve(chunks);
  for (std::size_t c = 0; c < chunks; ++c) {
    StridedBatch part = layout;
    part.howmany = count(c);
    // Plans are cached by layout and alignment: chunks alike share one plan.
    plans_.push_back(plan_strided_dft1<T>(part, inverse, in + first(c) * layout.idist,
                                          out + first(c) * layout.odist, 1));
  }
}

template <class T>
std::size_t ChunkedPlan<T>::count(std::size_t c) const {
  return std::min(chunk_, layout_.howmany - first(c));
}

template <class T>
void ChunkedPlan<T>::execute_chunk(std::size_t c, std::complex<T>* in,
                                   std::complex<T>* out) const {
  plans_[c].execute(in + first(c) * layout_.idist, out + first(c) * layout_.odist);
}

template <class T>
void ChunkedPlan<T>::execute(std::complex<T>* in, std::complex<T>* out) const {
  for_each_chunk(plans_.size(), team_, [&](std::size_t c) { execute_chunk(c, in, out); });
}

template <class T>
ChunkedPlan<T> ChunkedPlan<T>::with_team(int team) const {
  ChunkedPlan copy = *this;
  copy.team_ = team < 1 ? 1 : team;
  return copy;
}

template class ChunkedPlan<float>;
template class ChunkedPlan<double>;

}  // namespace phasegrad
