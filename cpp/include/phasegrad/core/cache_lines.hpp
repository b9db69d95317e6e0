// Cache-line arithmetic and hints shared by the kernels: element counts rounded up to whole
// 64-byte lines (the alignment of every Buffer, and so of the buffers FFTW's cached plans were
// made for), and a prefetch of a short run of memory for reading.
#pragma once

#include <cstddef>

namespace phasegrad {

constexpr std::size_t kCacheLine = 64;

// n elements of E rounded up to whole cache lines (E's size divides a line).
template <class E>
constexpr std::size_t whole_lines(std::size_t n) {
  constexpr std::size_t per_line = kCacheLine / sizeof(E);
  return (n + per_line - 1) / per_line * per_line;
}

// Asks for the lines of [start, start + bytes) to be brought into cache for reading: for short
// runs a power of two apart (a chunk of columns read row by row), which the hardware
// prefetchers do not follow.
inline void prefetch_lines(const void* start, std::size_t bytes) {
  const char* first = static_cast<const char*>(start);
  for (std::size_t b = 0; b < bytes; b += kCacheLine) __builtin_prefetch(first + b, 0);
}

}  // namespace phasegrad
