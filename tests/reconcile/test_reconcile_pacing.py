"""Pacing: the token bucket that keeps a reconciliation under its portal call rate."""

from __future__ import annotations

from gateway.reconcile.pacing import TokenBucket


class FakeClock:
    """A clock that moves only when the bucket waits."""

    def __init__(self) -> None:
        self.now = 0.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_calls_beyond_the_burst_are_spaced_at_the_rate() -> None:
    clock = FakeClock()
    bucket = TokenBucket(4, clock=clock, wait=clock.wait)
    for _ in range(12):
        bucket.take()
    assert clock.waits[:1] == [0.25]
    assert len(clock.waits) == 8  # the first four are the burst
    assert abs(clock.now - 2.0) < 1e-9  # 8 more calls at 4/s


def test_an_idle_spell_refills_the_bucket_up_to_one_burst_only() -> None:
    clock = FakeClock()
    bucket = TokenBucket(2, clock=clock, wait=clock.wait)
    bucket.take()
    bucket.take()
    clock.now += 100.0
    for _ in range(3):
        bucket.take()
    assert clock.waits == [0.5]


def test_a_rate_of_zero_never_waits() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0, clock=clock, wait=clock.wait)
    for _ in range(1000):
        bucket.take()
    assert clock.waits == []


def test_a_rate_below_one_per_second_still_allows_one_call_at_once() -> None:
    clock = FakeClock()
    bucket = TokenBucket(0.5, clock=clock, wait=clock.wait)
    bucket.take()
    bucket.take()
    assert clock.waits == [2.0]
