// The transforms a batch of phase-retrieval problems cannot do without: see
// models/batch_transforms.hpp.
#include "phasegrad/models/batch_transforms.hpp"

#include <omp.h>

#include <algorithm>
#include <stdexcept>

namespace phasegrad::models {

template <class T>
BatchTransforms<T>::BatchTransforms(std::size_t n, std::size_t grid, std::size_t planes,
                                    std::size_t problems)
    : n_(n), grid_(grid), planes_(planes), problems_(problems) {
  if (n == 0 || grid < n || planes == 0 || problems == 0) {
    throw std::invalid_argument("BatchTransforms needs 1 <= n <= grid, planes >= 1 and "
                                "problems >= 1");
  }
  fields_.push_back(Buffer<std::complex<T>>::zeros(grid * grid));
  std::complex<T>* field = fields_.front().data();
  const std::size_t column_chunk = transform_column_chunk<T>();
  const std::size_t row_chunk = transform_row_chunk<T>(grid);
  columns_ = ChunkedPlan<T>({grid, n, grid, 1, grid, 1}, column_chunk, false, field, field, 1);
  rows_ = ChunkedPlan<T>({grid, grid, 1, grid, 1, grid}, row_chunk, false, field, field, 1);
  rows_adjoint_ = ChunkedPlan<T>({grid, grid, 1, grid, 1, grid}, row_chunk, true, field, field, 1);
  columns_adjoint_ = ChunkedPlan<T>({grid, n, grid, 1, grid, 1}, column_chunk, true, field, field,
                                    1);
}

template <class T>
std::size_t BatchTransforms<T>::transforms_per_problem() const {
  return planes_ * 2 * (n_ + grid_);
}

template <class T>
void BatchTransforms<T>::run(int threads) {
  const int team = static_cast<int>(
      std::min<std::size_t>(static_cast<std::size_t>(std::max(threads, 1)), problems_));
  while (fields_.size() < static_cast<std::size_t>(team)) {
    fields_.push_back(Buffer<std::complex<T>>::zeros(grid_ * grid_));
  }
  const long long count = static_cast<long long>(problems_);
  // Every chunk of a plan in turn on the calling thread: no parallel region inside a problem.
  auto transform = [](const ChunkedPlan<T>& plan, std::complex<T>* field) {
    for (std::size_t c = 0; c < plan.chunks(); ++c) plan.execute_chunk(c, field, field);
  };
#pragma omp parallel num_threads(team) if (team > 1)
  {
    std::complex<T>* field = fields_[static_cast<std::size_t>(omp_get_thread_num())].data();
#pragma omp for schedule(dynamic, 1)
    for (long long b = 0; b < count; ++b) {
      for (std::size_t p = 0; p < planes_; ++p) {
        transform(columns_, field);
        transform(rows_, field);
        transform(rows_adjoint_, field);
        transform(columns_adjoint_, field);
      }
    }
  }
}

template class BatchTransforms<float>;
template class BatchTransforms<double>;

}  // namespace phasegrad::models
