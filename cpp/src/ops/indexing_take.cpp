// Gather and scatter by flat index or boolean mask: take, put, take_vjp. See ops/indexing.hpp.
#include "phasegrad/ops/indexing.hpp"

#include <algorithm>
#include <complex>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "phasegrad/core/element.hpp"
#include "phasegrad/core/parallel.hpp"

namespace phasegrad::ops {

namespace {

// Where a scatter writes a plane at a time: planes are cut into tiles of this many elements
// so that one plane still spreads over every thread.
constexpr std::size_t kTile = std::size_t{1} << 14;

// 0 is all bits zero in IEEE floating point, so a memset writes zeros of any element type.
template <class E>
void zero_fill(E* first, E* last) {
  if (last > first) std::memset(static_cast<void*>(first), 0, sizeof(E) * (last - first));
}

struct IndexOrder {
  bool increasing;  // strictly: each pixel at most once, in row-major order
};

// One pass over the indices: all in [0, plane)? strictly increasing? Throws when out of range.
IndexOrder inspect_indices(const std::int64_t* index, std::size_t count, std::size_t plane,
                           int threads) {
  const auto n = static_cast<std::int64_t>(count);
  const auto limit = static_cast<std::int64_t>(plane);
  std::int64_t outside = 0, descents = 0;
#pragma omp parallel for num_threads(threads_for(count, threads)) schedule(static) \
    reduction(+ : outside, descents)
  for (std::int64_t j = 0; j < n; ++j) {
    outside += (index[j] < 0 || index[j] >= limit) ? 1 : 0;
    descents += (j > 0 && index[j] <= index[j - 1]) ? 1 : 0;
  }
  if (outside != 0) {
    throw std::invalid_argument("index out of range: flat indices must lie in [0, " +
                                std::to_string(plane) + ")");
  }
  return {descents == 0};
}

// Strictly increasing indices: write each plane once, front to back, the gaps as zeros. Each
// tile of a plane finds its first index by binary search.
template <class E>
void assign_sorted(const E* src, const std::int64_t* index, std::size_t count, E* dst,
                   std::size_t batch, std::size_t plane, int threads) {
  const std::size_t tiles_per_plane = (plane + kTile - 1) / kTile;
  const auto tiles = static_cast<std::int64_t>(batch * tiles_per_plane);
#pragma omp parallel for num_threads(threads_for(batch * plane, threads)) schedule(static)
  for (std::int64_t t = 0; t < tiles; ++t) {
    const auto b = static_cast<std::size_t>(t) / tiles_per_plane;
    const auto lo = static_cast<std::int64_t>((static_cast<std::size_t>(t) % tiles_per_plane) *
                                              kTile);
    const auto hi = std::min(lo + static_cast<std::int64_t>(kTile),
                             static_cast<std::int64_t>(plane));
    const E* values = src + b * count;
    E* out = dst + b * plane;
    auto j = static_cast<std::size_t>(std::lower_bound(index, index + count, lo) - index);
    std::int64_t p = lo;
    for (; j < count && index[j] < hi; ++j) {
      zero_fill(out + p, out + index[j]);
      out[index[j]] = values[j];
      p = index[j] + 1;
    }
    zero_fill(out + p, out + hi);
  }
}

// Any other order: group the j by pixel (a stable counting sort, so sums run in the order of j),
// then write each plane once, pixel by pixel, gathering its group. `repeats` says whether a
// pixel may occur more than once (take's reverse rule) or not (put: std::invalid_argument).
template <class E>
void assign_grouped(const E* src, const std::int64_t* index, std::size_t count, E* dst,
                    std::size_t batch, std::size_t plane, bool repeats, int threads) {
  // After the sort the j of pixel p are order[first[p]], ..., order[first[p + 1] - 1].
  std::vector<std::int64_t> first(plane + 2, 0);
  bool repeated = false;
  for (std::size_t j = 0; j < count; ++j) {
    auto& tally = first[static_cast<std::size_t>(index[j]) + 2];
    repeated = repeated || tally != 0;
    ++tally;
  }
  if (repeated && !repeats) {
    throw std::invalid_argument("index must not repeat a pixel (put assigns each pixel once)");
  }
  for (std::size_t p = 2; p < plane + 2; ++p) first[p] += first[p - 1];
  std::vector<std::int64_t> order(count);
  for (std::size_t j = 0; j < count; ++j) {
    order[static_cast<std::size_t>(first[static_cast<std::size_t>(index[j]) + 1]++)] =
        static_cast<std::int64_t>(j);
  }
  const std::int64_t* begin = first.data();
  const std::int64_t* ordered = order.data();
  const auto planes = static_cast<std::int64_t>(batch);
  const auto pixels = static_cast<std::int64_t>(plane);
#pragma omp parallel for collapse(2) num_threads(threads_for(batch * plane, threads)) \
    schedule(static)
  for (std::int64_t b = 0; b < planes; ++b) {
    for (std::int64_t p = 0; p < pixels; ++p) {
      const E* values = src + b * static_cast<std::int64_t>(count);
      const std::int64_t start = begin[p], stop = begin[p + 1];
      E value{};
      if (stop - start == 1) {
        value = values[ordered[start]];
      } else if (stop > start) {
        accumulator_t<E> sum{};
        for (std::int64_t t = start; t < stop; ++t) sum += values[ordered[t]];
        value = static_cast<E>(sum);
      }
      dst[b * pixels + p] = value;
    }
  }
}

bool has_zero_byte(std::uint64_t w) {
  return ((w - 0x0101010101010101ULL) & ~w & 0x8080808080808080ULL) != 0;
}

// The first selected pixel in [p, hi) (hi if none), eight mask bytes at a time.
std::size_t skip_unselected(const std::uint8_t* mask, std::size_t p, std::size_t hi) {
  for (std::uint64_t w; p + 8 <= hi; p += 8) {
    std::memcpy(&w, mask + p, 8);
    if (w != 0) break;
  }
  while (p < hi && mask[p] == 0) ++p;
  return p;
}

// The first unselected pixel in [p, hi) (hi if none).
std::size_t skip_selected(const std::uint8_t* mask, std::size_t p, std::size_t hi) {
  for (std::uint64_t w; p + 8 <= hi; p += 8) {
    std::memcpy(&w, mask + p, 8);
    if (has_zero_byte(w)) break;
  }
  while (p < hi && mask[p] != 0) ++p;
  return p;
}

}  // namespace

MaskLayout mask_layout(const std::uint8_t* mask, std::size_t plane, int threads) {
  const std::size_t tiles = (plane + kTile - 1) / kTile;
  MaskLayout layout{mask, plane, std::vector<std::size_t>(tiles + 1, 0)};
  std::size_t* selected = layout.start.data() + 1;
  const auto n = static_cast<std::int64_t>(tiles);
#pragma omp parallel for num_threads(threads_for(plane, threads)) schedule(static)
  for (std::int64_t t = 0; t < n; ++t) {
    const std::size_t lo = static_cast<std::size_t>(t) * kTile, hi = std::min(plane, lo + kTile);
    std::size_t count = 0;
    for (std::size_t p = lo; p < hi; ++p) count += mask[p] != 0 ? 1 : 0;
    selected[t] = count;
  }
  for (std::size_t t = 0; t < tiles; ++t) layout.start[t + 1] += layout.start[t];
  return layout;
}

template <class E>
void take(const E* x, const MaskLayout& layout, E* y, std::size_t batch, int threads) {
  const std::size_t plane = layout.plane, count = layout.count();
  const std::size_t tiles = layout.start.size() - 1;
  const std::uint8_t* mask = layout.mask;
  const auto tasks = static_cast<std::int64_t>(batch * tiles);
#pragma omp parallel for num_threads(threads_for(batch * plane, threads)) schedule(static)
  for (std::int64_t task = 0; task < tasks; ++task) {
    const auto b = static_cast<std::size_t>(task) / tiles;
    const auto t = static_cast<std::size_t>(task) % tiles;
    const std::size_t lo = t * kTile, hi = std::min(plane, lo + kTile);
    const E* src = x + b * plane;
    E* dst = y + b * count + layout.start[t];
    for (std::size_t p = skip_unselected(mask, lo, hi); p < hi;) {
      const std::size_t end = skip_selected(mask, p, hi);
      dst = std::copy(src + p, src + end, dst);
      p = skip_unselected(mask, end, hi);
    }
  }
}

template <class E>
void put(const E* x, const MaskLayout& layout, E* y, std::size_t batch, int threads) {
  const std::size_t plane = layout.plane, count = layout.count();
  const std::size_t tiles = layout.start.size() - 1;
  const std::uint8_t* mask = layout.mask;
  const auto tasks = static_cast<std::int64_t>(batch * tiles);
#pragma omp parallel for num_threads(threads_for(batch * plane, threads)) schedule(static)
  for (std::int64_t task = 0; task < tasks; ++task) {
    const auto b = static_cast<std::size_t>(task) / tiles;
    const auto t = static_cast<std::size_t>(task) % tiles;
    const std::size_t lo = t * kTile, hi = std::min(plane, lo + kTile);
    const E* src = x + b * count + layout.start[t];
    E* dst = y + b * plane;
    for (std::size_t p = lo; p < hi;) {
      const std::size_t begin = skip_unselected(mask, p, hi);
      zero_fill(dst + p, dst + begin);
      const std::size_t end = skip_selected(mask, begin, hi);
      std::copy_n(src, end - begin, dst + begin);
      src += end - begin;
      p = end;
    }
  }
}

template <class E>
void take(const E* x, const std::int64_t* index, std::size_t count, E* y, std::size_t batch,
          std::size_t plane, int threads) {
  inspect_indices(index, count, plane, threads);
  const auto planes = static_cast<std::int64_t>(batch);
  const auto picks = static_cast<std::int64_t>(count);
#pragma omp parallel for collapse(2) num_threads(threads_for(batch * count, threads)) \
    schedule(static)
  for (std::int64_t b = 0; b < planes; ++b) {
    for (std::int64_t j = 0; j < picks; ++j) {
      y[b * picks + j] = x[b * static_cast<std::int64_t>(plane) + index[j]];
    }
  }
}

template <class E>
void put(const E* x, const std::int64_t* index, std::size_t count, E* y, std::size_t batch,
         std::size_t plane, int threads) {
  if (inspect_indices(index, count, plane, threads).increasing) {
    assign_sorted(x, index, count, y, batch, plane, threads);
  } else {
    assign_grouped(x, index, count, y, batch, plane, false, threads);
  }
}

template <class E>
void take_vjp(const E* y_bar, const std::int64_t* index, std::size_t count, E* x_bar,
              std::size_t batch, std::size_t plane, int threads) {
  if (inspect_indices(index, count, plane, threads).increasing) {
    assign_sorted(y_bar, index, count, x_bar, batch, plane, threads);
  } else {
    assign_grouped(y_bar, index, count, x_bar, batch, plane, true, threads);
  }
}

#define PHASEGRAD_TAKE_INSTANCES(E)                                                               \
  template void take<E>(const E*, const std::int64_t*, std::size_t, E*, std::size_t, std::size_t, \
                        int);                                                                     \
  template void put<E>(const E*, const std::int64_t*, std::size_t, E*, std::size_t, std::size_t,  \
                       int);                                                                      \
  template void take_vjp<E>(const E*, const std::int64_t*, std::size_t, E*, std::size_t,          \
                            std::size_t, int);                                                    \
  template void take<E>(const E*, const MaskLayout&, E*, std::size_t, int);                       \
  template void put<E>(const E*, const MaskLayout&, E*, std::size_t, int);

PHASEGRAD_TAKE_INSTANCES(float)
PHASEGRAD_TAKE_INSTANCES(double)
PHASEGRAD_TAKE_INSTANCES(std::complex<float>)
PHASEGRAD_TAKE_INSTANCES(std::complex<double>)

#undef PHASEGRAD_TAKE_INSTANCES

}  // namespace phasegrad::ops
