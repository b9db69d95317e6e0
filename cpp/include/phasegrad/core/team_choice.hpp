// A measured fallback for the thread count of a model's calls: on a machine where another
// process keeps a core busy, a team of threads waits at every barrier for the thread that
// shares that core (measured: 2.7-3.3x slower on 2 threads than on 1 at n = 128), whatever the
// schedule inside the regions. TeamChoice times the calls it schedules and runs them on one
// thread while that measures faster, probing the other choice now and then (every 8 calls at
// first, up to every 64 while the choice holds), so that a call returns to the full team when
// the core frees up.
//
// Switching is invisible in the results only when they do not depend on the thread count;
// the fused models that use it keep theirs bit-for-bit identical on any team (fixed chunks,
// sums in a fixed order). Not thread-safe: the caller serialises (a model's lock).
//
// What is compared is each choice's mean time, kept as a moving average over its calls (the
// current choice's, 1/8 per call) and its probes (the other's, 1/3 per probe), and the
// current one also by the median of its latest three calls (whichever is larger). On a busy
// core most of a team's calls are quick, but now and then one waits several milliseconds for
// a thread that the other process holds off its core: those calls, which a median hides, are
// what the team costs, and the average remembers them while the calls run on one thread, so
// that one lucky team probe does not move the calls back. Its calls replayed over given times
// (tests/test_team_choice.py): a team with such waits is left, a faster team kept, and the
// team taken back about 140-150 calls after the core frees up (three probes).
#pragma once

#include <chrono>

namespace phasegrad {

class TeamChoice {
 public:
  // The team for the next call of `requested` threads (1 when requested is 1).
  int next(int requested);

  // The wall time of the call that next() scheduled; `valid` is false for a call that paid
  // for something else (planning), which is then not compared.
  void record(double seconds, bool valid = true);

  // Whether the latest decision runs calls on one thread although more were requested.
  bool single() const { return single_; }

  // Starts over for calls of `requested` threads with a first choice measured elsewhere (a
  // model's set-up timing its transforms on the team and on one thread, in seconds; 0: not
  // timed): the first calls run on one thread when that measured faster by the margin below.
  // The calls' own times decide from then on.
  void start(int requested, double team_seconds, double single_seconds);

 private:
  static constexpr unsigned kFirstInterval = 8, kLongestInterval = 64;
  static constexpr int kHistory = 3;
  // A probe must beat the current choice by this factor to switch.
  static constexpr double kMargin = 0.9;

  int requested_ = 0;
  bool active_ = false;    // the call scheduled by next() asked for more than one thread
  bool single_ = false;    // the current choice: one thread (true) or the requested team
  bool probing_ = false;   // the call scheduled by next() runs the other choice
  unsigned since_probe_ = 0, interval_ = kFirstInterval;
  double recent_[kHistory] = {0, 0, 0};  // the current choice's latest times (0: none yet)
  // The moving averages of the team's (0) and one thread's (1) times (0: none yet), and their
  // weights for a call of the current choice and for a probe.
  double average_[2] = {0, 0};
  static constexpr double kCallWeight = 1.0 / 8, kProbeWeight = 1.0 / 3;
  int filled_ = 0, slot_ = 0;
};

// Times a scope: seconds since construction.
class Stopwatch {
 public:
  Stopwatch() : start_(std::chrono::steady_clock::now()) {}
  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }

 private:
  std::chrono::steady_clock::time_point start_;
};

}  // namespace phasegrad
