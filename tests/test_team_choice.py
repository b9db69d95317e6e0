"""The fused models' measured thread fallback (core/team_choice.hpp), replayed over given call
times: it keeps a team that is faster, leaves one whose calls now and then wait several times
their length (a thread held off a busy core) although their median is quick, does not go back
to it for a few lucky calls, and returns to the team when the core frees up."""

import numpy as np
import pytest

from phasegrad.native import core


def on_team(teams, begin=0, end=None):
    """The fraction of calls [begin, end) that ran on the team."""
    return float(np.mean(np.asarray(teams[begin:end]) > 1))


def test_a_faster_team_is_kept():
    teams = core.team_choice_replay(2, [1.0], [0.6], 1000)
    assert teams[0] == 2
    assert on_team(teams) > 0.95


def test_a_slower_team_is_left():
    teams = core.team_choice_replay(2, [1.0], [1.5], 1000)
    assert on_team(teams, 100) < 0.05


def waits(p, wait, calls=4000, seed=0):
    """Team call times of 1.0 of which a random fraction p waits (takes `wait`)."""
    rng = np.random.default_rng(seed)
    return list(np.where(rng.random(calls) < p, wait, 1.0))


def cost(teams, single, team, begin=300):
    """The mean time of calls [begin, ...) as the choice ran them."""
    times = [single[i % len(single)] if t == 1 else team[i % len(team)]
             for i, t in enumerate(teams)]
    return float(np.mean(times[begin:]))


@pytest.mark.parametrize(("p", "wait"), [(0.2, 4.0), (0.1, 8.0), (0.05, 8.0), (0.3, 3.0)])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_team_whose_waits_a_median_hides_is_left(p, wait, seed):
    # Median 1.0 on the team against 1.2 on one thread, but a mean of 1.35 to 1.7.
    team = waits(p, wait, seed=seed)
    teams = core.team_choice_replay(2, [1.2], team, len(team))
    assert on_team(teams, 300) < 0.35
    assert cost(teams, [1.2], team) < 1.1 * 1.2


def test_waits_that_cost_nothing_keep_the_team():
    team = waits(0.1, 2.0)  # mean 1.1 against 1.2
    teams = core.team_choice_replay(2, [1.2], team, len(team))
    assert cost(teams, [1.2], team) < 1.2


def test_the_team_returns_when_the_core_frees_up():
    busy = core.team_choice_replay(2, [1.0], [1.5], 500)
    assert busy[-50:].count(2) < 10
    # The same choice, its times changed half way: replayed as one sequence.
    single = [1.0] * 1000
    team = [1.5] * 500 + [0.6] * 500
    teams = core.team_choice_replay(2, single, team, 1000)
    assert on_team(teams, 400, 500) < 0.1
    assert on_team(teams, 700) > 0.9


def test_one_thread_requested_is_one_thread():
    assert core.team_choice_replay(1, [1.0], [0.1], 50) == [1] * 50


def test_replay_needs_times():
    with pytest.raises(ValueError, match="at least one time"):
        core.team_choice_replay(2, [], [1.0], 5)


def test_a_measured_start_on_one_thread():
    # Started on one thread (a model's set-up measured it faster): a slower team stays off
    # from the first call; a faster one is taken at the first probes.
    slow = core.team_choice_replay(2, [1.0], [1.5], 100, start_single=True)
    assert slow[:8] == [1] * 8  # the first probe of the team is call 8
    assert on_team(slow) < 0.05
    fast = core.team_choice_replay(2, [1.0], [0.6], 100, start_single=True)
    assert fast[0] == 1
    assert on_team(fast, 20) > 0.95  # the team, but for probes of one thread
