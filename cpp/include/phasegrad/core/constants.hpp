// Mathematical constants of the core, each defined once.
#pragma once

namespace phasegrad {

// 2 pi: the double nearest to it, the same number as NumPy's 2 * np.pi.
inline constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace phasegrad
