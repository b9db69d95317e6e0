// The fused phase-retrieval model's set-up for its calls, done once after construction; see
// FusedPhaseRetrieval::prepare in models/phase_retrieval.hpp.
//
// Without it a model's first call pays for its set-up: making the plans (from the wisdom, or
// measured), the OpenMP team's first start, and the first touch of the memory the transforms
// run in (each thread's scratch, the field, FFTW's own buffers and code). prepare() does all of
// that, once, so that the first call costs about what a later one does, and it runs with
// Python's GIL released (the bindings), so that a planning that measures holds up no other
// Python thread. It also times the transforms on the team and on one thread, and the calls
// start on whichever was faster (a core busy with another process makes the team slower; the
// calls' own times decide from then on, core/team_choice.hpp). Its time is the constructor's
// in the benchmarks (python/phasegrad/bench/busy_machine.py).
#include <cstring>
#include <mutex>

#include "phasegrad/core/team_choice.hpp"
#include "phasegrad/models/phase_retrieval.hpp"

namespace phasegrad::models {

// Plans for the team of `threads` (team_size), then each FFT band's four transforms run over
// its field, which holds zeros (the constructor's; zeroed again after, so that the model is as
// constructed; the results are discarded): once with each chunk on one thread of the team (a
// static split, so that every thread of the team runs some and its scratch is touched), then
// timed as the calls run them, on the team (chunks handed out dynamically) and on one thread.
template <class T>
void FusedPhaseRetrieval<T>::prepare(int threads) {
  std::lock_guard<std::mutex> lock(mutex_);
  const int team = team_size(threads);
  plan_for(team);
  double on_team = 0, on_one = 0;
  for (auto& band : bands_) {
    if (!band->fft) continue;
    Band& b = *band;
    Complex* field = b.field.data();
    const auto columns = static_cast<long long>(b.columns.chunks());
    const auto rows = static_cast<long long>(b.rows.chunks());
    const auto adjoint = static_cast<long long>(b.columns_adjoint.chunks());
    // Every chunk of the four transforms on `t` threads with a static split (on one thread:
    // in turn, as a call on one thread runs them).
    const auto run_split = [&](int t) {
#pragma omp parallel num_threads(t) if (t > 1)
      {
#pragma omp for schedule(static)
        for (long long c = 0; c < columns; ++c) {
          b.columns.execute_chunk(static_cast<std::size_t>(c), field);
        }
#pragma omp for schedule(static)
        for (long long c = 0; c < rows; ++c) {
          b.rows.execute_chunk(static_cast<std::size_t>(c), field);
          b.rows_adjoint.execute_chunk(static_cast<std::size_t>(c), field, field);
        }
#pragma omp for schedule(static)
        for (long long c = 0; c < adjoint; ++c) {
          b.columns_adjoint.execute_chunk(static_cast<std::size_t>(c), field);
        }
      }
    };
    run_split(team);
    if (team > 1) {
      const Stopwatch team_watch;
      b.columns.execute(field);
      b.rows.execute(field);
      b.rows_adjoint.execute(field, field);
      b.columns_adjoint.execute(field);
      on_team += team_watch.seconds();
      const Stopwatch one_watch;
      run_split(1);
      on_one += one_watch.seconds();
    }
    std::memset(static_cast<void*>(field), 0, b.field.bytes());
  }
  for (auto& choice : choices_) choice.start(team, on_team, on_one);
}

template void FusedPhaseRetrieval<float>::prepare(int);
template void FusedPhaseRetrieval<double>::prepare(int);

}  // namespace phasegrad::models
