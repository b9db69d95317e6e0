// The core's one aligned buffer: n elements of E (float, double, std::complex<float>,
// std::complex<double>, or bytes), 64-byte aligned (a cache line, and at least the SIMD
// alignment FFTW plans for, so every Buffer runs the same cached plans), owned and movable.
// Uninitialised by default, for memory whose every element is written before it is read
// (zero-filling it would be a wasted pass over memory); Buffer<E>::zeros(n) where zeros are
// read; Buffer<E>::huge_pages(n) for a large work plane that a kernel sweeps on every call.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <type_traits>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace phasegrad {

template <class E>
class Buffer {
  static_assert(std::is_trivially_copyable_v<E> && std::is_trivially_destructible_v<E>,
                "a Buffer holds plain numbers");

 public:
  static constexpr std::size_t kAlignment = 64;
  // The page size of huge_pages() (x86-64's and AArch64's usual transparent huge page).
  static constexpr std::size_t kHugePage = std::size_t{1} << 21;

  Buffer() = default;

  // Room for n elements, uninitialised (none for n == 0: data() is then null).
  explicit Buffer(std::size_t n) : size_(n) {
    if (n == 0) return;
    // n * sizeof(E), padded, must not wrap around: a wrapped size would allocate a small
    // buffer for a huge count (std::bad_alloc is Python's MemoryError).
    if (n > (std::numeric_limits<std::size_t>::max() - kAlignment) / sizeof(E)) {
      throw std::bad_alloc();
    }
    data_ = static_cast<E*>(std::aligned_alloc(kAlignment, padded_bytes(n)));
    if (data_ == nullptr) throw std::bad_alloc();
  }

  // Room for n elements, uninitialised, asked to be on transparent huge pages (Linux:
  // madvise(MADV_HUGEPAGE), which takes effect where THP is "always" or "madvise"), from
  // kHugePage bytes on: 2 MiB aligned and padded to whole 2 MiB pages. For work planes a
  // kernel sweeps on every call, with strides of a row: one TLB entry then covers 2 MiB
  // instead of 4 KiB (the development VM's second-level TLB reaches about 12 MiB of 4 KiB
  // pages). NumPy asks the same for its own arrays of 4 MiB or more. Smaller buffers get a
  // plain Buffer(n); where the kernel has no THP the pages stay 4 KiB. The memory is the same
  // kind (std::free releases it); only its alignment and page size differ.
  static Buffer huge_pages(std::size_t n) {
    if (n > (std::numeric_limits<std::size_t>::max() - kHugePage) / sizeof(E)) {
      throw std::bad_alloc();  // the padded size would wrap around
    }
    if (n * sizeof(E) < kHugePage) return Buffer(n);
    const std::size_t bytes = (n * sizeof(E) + kHugePage - 1) / kHugePage * kHugePage;
    Buffer buffer;
    buffer.data_ = static_cast<E*>(std::aligned_alloc(kHugePage, bytes));
    if (buffer.data_ == nullptr) throw std::bad_alloc();
    buffer.size_ = n;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    // A hint: where it fails (THP not built into the kernel) the pages stay 4 KiB. The memory
    // may be the allocator's, used before on 4 KiB pages, which the advice would not change:
    // those pages are dropped (the contents are undefined until written, and anonymous
    // memory reads as zeros after MADV_DONTNEED), so that the first writes fault huge ones.
    void* start = static_cast<void*>(buffer.data_);
    if (madvise(start, bytes, MADV_HUGEPAGE) == 0) (void)madvise(start, bytes, MADV_DONTNEED);
#endif
    return buffer;
  }

  // n elements, every bit zero (0 in IEEE floating point).
  static Buffer zeros(std::size_t n) {
    Buffer buffer(n);
    if (n > 0) std::memset(static_cast<void*>(buffer.data_), 0, padded_bytes(n));
    return buffer;
  }

  ~Buffer() { std::free(data_); }
  Buffer(Buffer&& other) noexcept
      : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}
  Buffer& operator=(Buffer&& other) noexcept {
    std::swap(data_, other.data_);
    std::swap(size_, other.size_);
    return *this;
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  E* data() const { return data_; }
  std::size_t size() const { return size_; }
  std::size_t bytes() const { return size_ * sizeof(E); }

 private:
  // aligned_alloc wants a multiple of the alignment.
  static std::size_t padded_bytes(std::size_t n) {
    return (n * sizeof(E) + kAlignment - 1) / kAlignment * kAlignment;
  }

  E* data_ = nullptr;
  std::size_t size_ = 0;
};

// The calling thread's scratch of at least n elements of E for `Owner` (a tag: each owner keeps
// its own, so one owner's growth never moves another's), 64-byte aligned like every Buffer
// (the alignment the plans were made for), kept for the thread's next calls: only a call that
// needs more than the thread's last allocates. The pointer stays valid until the same thread
// asks the same owner for more.
template <class Owner, class E>
E* thread_scratch(std::size_t n) {
  thread_local Buffer<E> buffer;
  if (buffer.size() < n) buffer = Buffer<E>(n);
  return buffer.data();
}

}  // namespace phasegrad
