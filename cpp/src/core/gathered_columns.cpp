// Columns transformed through a contiguous scratch; see core/gathered_columns.hpp.
#include "phasegrad/core/gathered_columns.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <stdexcept>

#include "phasegrad/core/buffer.hpp"
#include "phasegrad/core/cache_lines.hpp"
#include "phasegrad/core/constants.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad {

namespace {

// The calling thread's scratch (core/buffer.hpp's thread_scratch, GatheredColumns' own).
template <class T>
std::complex<T>* scratch(std::size_t elements) {
  return thread_scratch<GatheredColumns<T>, std::complex<T>>(elements);
}

// The bytes of a whole chunk's row (transform_column_chunk): the width the row helpers below
// take as a compile-time constant (only a plane's last chunk may be narrower).
constexpr std::size_t kRowBytes = 128;

// out[j] = a[j] * t (a row of a chunk times one twiddle), the complex product written out so
// that it vectorises.
template <class T, std::size_t kWidth = 0>
void scale_row_of(const std::complex<T>* a, std::complex<T> t, std::complex<T>* out,
                  std::size_t runtime_width) {
  const std::size_t width = kWidth > 0 ? kWidth : runtime_width;
  const T* in = reinterpret_cast<const T*>(a);
  T* o = reinterpret_cast<T*>(out);
  const T tr = t.real(), ti = t.imag();
  for (std::size_t j = 0; j < width; ++j) {
    const T ar = in[2 * j], ai = in[2 * j + 1];
    o[2 * j] = ar * tr - ai * ti;
    o[2 * j + 1] = ar * ti + ai * tr;
  }
}

// out[j] = a[j] + b[j] * t.
template <class T, std::size_t kWidth = 0>
void add_scaled_row_of(const std::complex<T>* a, const std::complex<T>* b, std::complex<T> t,
                       std::complex<T>* out, std::size_t runtime_width) {
  const std::size_t width = kWidth > 0 ? kWidth : runtime_width;
  const T* pa = reinterpret_cast<const T*>(a);
  const T* pb = reinterpret_cast<const T*>(b);
  T* o = reinterpret_cast<T*>(out);
  const T tr = t.real(), ti = t.imag();
  for (std::size_t j = 0; j < width; ++j) {
    const T br = pb[2 * j], bi = pb[2 * j + 1];
    o[2 * j] = pa[2 * j] + (br * tr - bi * ti);
    o[2 * j + 1] = pa[2 * j + 1] + (br * ti + bi * tr);
  }
}

// The two above with a whole chunk's width fixed at compile time (the loops unrolled).
template <class T>
void scale_row(const std::complex<T>* a, std::complex<T> t, std::complex<T>* out,
               std::size_t width) {
  constexpr std::size_t kWhole = kRowBytes / sizeof(std::complex<T>);
  if (width == kWhole) {
    scale_row_of<T, kWhole>(a, t, out, width);
  } else {
    scale_row_of<T>(a, t, out, width);
  }
}
template <class T>
void add_scaled_row(const std::complex<T>* a, const std::complex<T>* b, std::complex<T> t,
                    std::complex<T>* out, std::size_t width) {
  constexpr std::size_t kWhole = kRowBytes / sizeof(std::complex<T>);
  if (width == kWhole) {
    add_scaled_row_of<T, kWhole>(a, b, t, out, width);
  } else {
    add_scaled_row_of<T>(a, b, t, out, width);
  }
}

// A chunk's row copied (or zeroed): `bytes` is the chunk's row width, a constant 128 but for
// the last chunk of a plane (transform_column_chunk), so the common case is a fixed-size copy
// the compiler inlines as a few vector moves; a library call per 128-byte row (thousands per
// transform) took 7 % of a phase-retrieval call at n = 128 (perf, one core).
inline void copy_row(void* to, const void* from, std::size_t bytes) {
  if (bytes == kRowBytes) {
    std::memcpy(to, from, kRowBytes);
  } else {
    std::memcpy(to, from, bytes);
  }
}
inline void zero_row(void* to, std::size_t bytes) {
  if (bytes == kRowBytes) {
    std::memset(to, 0, kRowBytes);
  } else {
    std::memset(to, 0, bytes);
  }
}

// How far ahead the gathers ask for the source's rows (prefetch_lines of each row's piece of
// the chunk; the far-field hologram's gather gained the same way).
constexpr std::size_t kGatherAhead = 8;

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
  // An even length with at most half the rows read (the zero padding of a pupil) or written
  // (the crop) is split into two transforms of half the length (below).
  const std::size_t half = length_ / 2;
  if (length_ % 2 == 0 && length_ >= 4) {
    if (read_rows_ <= half) {
      split_ = Split::kZeroTail;
    } else if (write_rows_ <= half) {
      split_ = Split::kCrop;
    }
  }
  const std::size_t size = split_ == Split::kNone ? length_ : half;
  if (split_ != Split::kNone) {
    // w^y = exp(-+2 pi i y / length), y < half, computed in double.
    const double sign = inverse ? 1.0 : -1.0;
    twiddles_.resize(half);
    for (std::size_t y = 0; y < half; ++y) {
      const double angle = sign * kTwoPi * static_cast<double>(y) / static_cast<double>(length_);
      twiddles_[y] = std::complex<T>(static_cast<T>(std::cos(angle)),
                                     static_cast<T>(std::sin(angle)));
    }
  }
  // The second half's scratch starts on a cache line (64 bytes), so that both halves are
  // aligned like the buffer the plans were made for.
  odd_offset_ = whole_lines<std::complex<T>>(half * chunk_);
  scratch_size_ = split_ == Split::kNone ? chunk_ * length_ : odd_offset_ + half * chunk_;
  // Column j of a chunk is the scratch's elements j, j + chunk, j + 2 chunk, ...: rows of the
  // chunk copied whole, the transforms vectorised across adjacent columns as FFTW prefers.
  std::complex<T>* work = scratch<T>(scratch_size_);  // aligned like every run's scratch
  full_ = plan_strided_dft1<T>({size, chunk_, chunk_, 1, chunk_, 1}, inverse, work, work, 1);
  const std::size_t rest = columns_ % chunk_;
  last_ = rest == 0 ? full_
                    : plan_strided_dft1<T>({size, rest, chunk_, 1, chunk_, 1}, inverse, work,
                                           work, 1);
}

// The split transforms, with w = exp(-+2 pi i / L) and h = L / 2 (sign as the transform's):
//   zero tail (x[y] = 0 for y >= h):  X[2k] = DFT_h(x)[k],  X[2k + 1] = DFT_h(w^y x)[k];
//   crop (only y < h kept):           x'[y] = DFT_h(X[even])[y] + w^y DFT_h(X[odd])[y].
// Two half-length transforms cost less than one of the full length, and a half of the chunk
// stays in the first-level cache.
template <class T>
void GatheredColumns<T>::execute_chunk(std::size_t c, std::complex<T>* plane) const {
  execute_chunk(c, plane, stride_, plane);
}

template <class T>
void GatheredColumns<T>::execute_chunk(std::size_t c, const std::complex<T>* source,
                                       std::size_t source_stride,
                                       std::complex<T>* plane) const {
  using Complex = std::complex<T>;
  const std::size_t x0 = c * chunk_, width = std::min(chunk_, columns_ - x0);
  const std::size_t length = length_, stride = stride_, half = length / 2;
  Complex* work = scratch<T>(scratch_size_);
  const std::size_t bytes = sizeof(Complex) * width;
  const StridedPlan<T>& plan = width == chunk_ ? full_ : last_;
  // The source's row kGatherAhead after row y, asked for while row y is copied.
  auto prefetch_ahead = [&](std::size_t y) {
    if (y + kGatherAhead < read_rows_) {
      prefetch_lines(source + (y + kGatherAhead) * source_stride + x0, bytes);
    }
  };
  if (split_ == Split::kZeroTail) {
    Complex* even = work;                 // x, then X[2k]
    Complex* odd = work + odd_offset_;  // w^y x, then X[2k + 1]
    for (std::size_t y = 0; y < read_rows_; ++y) {
      const Complex* row = source + y * source_stride + x0;
      prefetch_ahead(y);
      copy_row(static_cast<void*>(even + y * chunk_), row, bytes);
      scale_row(row, twiddles_[y], odd + y * chunk_, width);
    }
    for (std::size_t y = read_rows_; y < half; ++y) {
      zero_row(static_cast<void*>(even + y * chunk_), bytes);
      zero_row(static_cast<void*>(odd + y * chunk_), bytes);
    }
    plan.execute(even, even);
    plan.execute(odd, odd);
    for (std::size_t k = 0; k < half; ++k) {
      if (2 * k < write_rows_) {
        copy_row(static_cast<void*>(plane + 2 * k * stride + x0), even + k * chunk_, bytes);
      }
      if (2 * k + 1 < write_rows_) {
        copy_row(static_cast<void*>(plane + (2 * k + 1) * stride + x0), odd + k * chunk_,
                    bytes);
      }
    }
    return;
  }
  if (split_ == Split::kCrop) {
    Complex* even = work;                 // X[2m], then its half-length transform
    Complex* odd = work + odd_offset_;  // X[2m + 1], likewise
    for (std::size_t m = 0; m < half; ++m) {
      for (std::size_t parity = 0; parity < 2; ++parity) {
        const std::size_t y = 2 * m + parity;
        Complex* to = (parity == 0 ? even : odd) + m * chunk_;
        prefetch_ahead(y);
        if (y < read_rows_) {
          copy_row(static_cast<void*>(to), source + y * source_stride + x0, bytes);
        } else {
          zero_row(static_cast<void*>(to), bytes);
        }
      }
    }
    plan.execute(even, even);
    plan.execute(odd, odd);
    for (std::size_t y = 0; y < write_rows_; ++y) {
      add_scaled_row(even + y * chunk_, odd + y * chunk_, twiddles_[y], plane + y * stride + x0,
                     width);
    }
    return;
  }
  for (std::size_t y = 0; y < read_rows_; ++y) {
    prefetch_ahead(y);
    copy_row(static_cast<void*>(work + y * chunk_), source + y * source_stride + x0, bytes);
  }
  if (read_rows_ < length) {
    std::memset(static_cast<void*>(work + read_rows_ * chunk_), 0,
                sizeof(Complex) * chunk_ * (length - read_rows_));
  }
  plan.execute(work, work);
  for (std::size_t y = 0; y < write_rows_; ++y) {
    copy_row(static_cast<void*>(plane + y * stride + x0), work + y * chunk_, bytes);
  }
}

template <class T>
void GatheredColumns<T>::execute(std::complex<T>* plane) const {
  for_each_chunk(chunks(), team_, [&](std::size_t c) { execute_chunk(c, plane); });
}

template <class T>
void GatheredColumns<T>::execute(const std::complex<T>* source, std::size_t source_stride,
                                 std::complex<T>* plane) const {
  for_each_chunk(chunks(), team_,
                 [&](std::size_t c) { execute_chunk(c, source, source_stride, plane); });
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
