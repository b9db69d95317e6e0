// The measured fallback of a model's thread count; see core/team_choice.hpp.
#include "phasegrad/core/team_choice.hpp"

#include <algorithm>

namespace phasegrad {

int TeamChoice::next(int requested) {
  active_ = requested > 1;  // a one-thread request is neither timed nor changes the choice
  if (!active_) return 1;
  if (requested != requested_) {  // a new request starts over on the full team
    *this = TeamChoice();
    requested_ = requested;
  }
  probing_ = filled_ == kHistory && since_probe_ >= interval_;
  const bool single = probing_ ? !single_ : single_;
  return single ? 1 : requested;
}

void TeamChoice::start(int requested, double team_seconds, double single_seconds) {
  *this = TeamChoice();
  requested_ = requested;
  single_ = requested > 1 && team_seconds > 0 && single_seconds < kMargin * team_seconds;
}

namespace {

// `average` moved towards `seconds` by `weight` (set to it when there is none yet).
void update(double& average, double seconds, double weight) {
  average = average == 0 ? seconds : average + (seconds - average) * weight;
}

}  // namespace

void TeamChoice::record(double seconds, bool valid) {
  if (!active_) return;
  if (!valid) {
    probing_ = false;
    return;
  }
  if (!probing_) {
    recent_[slot_] = seconds;
    slot_ = (slot_ + 1) % kHistory;
    filled_ = std::min(filled_ + 1, kHistory);
    ++since_probe_;
    update(average_[single_ ? 1 : 0], seconds, kCallWeight);
    return;
  }
  probing_ = false;
  since_probe_ = 0;
  double& other = average_[single_ ? 0 : 1];
  update(other, seconds, kProbeWeight);
  double sorted[kHistory] = {recent_[0], recent_[1], recent_[2]};
  std::sort(sorted, sorted + kHistory);
  // The larger of the median of the latest three and the average (see the header).
  const double current = std::max(sorted[kHistory / 2], average_[single_ ? 1 : 0]);
  if (other < kMargin * current) {
    // The other choice measured faster: switch, and watch the new one closely.
    single_ = !single_;
    interval_ = kFirstInterval;
    filled_ = 0;
    slot_ = 0;
  } else {
    interval_ = std::min(2 * interval_, kLongestInterval);
  }
}

}  // namespace phasegrad
