"""Reads with a deadline: a service that does not answer never holds a scrape or a check."""

from __future__ import annotations

import threading

import pytest

from gateway.observe.bounded import Bounded


def test_a_read_that_does_not_answer_in_time_raises_timeout_and_the_next_caller_shares_it() -> None:
    release = threading.Event()
    calls: list[int] = []

    def stuck() -> str:
        calls.append(1)
        release.wait(30)
        return "late"

    bounded = Bounded("test", timeout_s=0.05)
    try:
        with pytest.raises(TimeoutError):
            bounded.result("read", stuck)
        # Still in flight: a second caller waits for the same read instead of queueing another.
        with pytest.raises(TimeoutError):
            bounded.result("read", stuck)
        assert len(calls) == 1
        release.set()
        assert bounded.start("read", stuck).result(timeout=10) == "late"
    finally:
        release.set()
        bounded.close()


def test_a_finished_read_is_done_again_by_the_next_call_and_errors_reach_the_caller() -> None:
    answers = iter(["first", "second"])
    bounded = Bounded("test", timeout_s=5)
    try:
        assert bounded.result("read", lambda: next(answers)) == "first"
        assert bounded.result("read", lambda: next(answers)) == "second"
        with pytest.raises(ZeroDivisionError):
            bounded.result("other", lambda: 1 // 0)
    finally:
        bounded.close()


def test_close_runs_the_finishing_step_on_the_watch_thread() -> None:
    seen: list[str] = []
    done = threading.Event()
    bounded = Bounded("test", timeout_s=5)

    def finish() -> None:
        seen.append(threading.current_thread().name)
        done.set()

    bounded.close(finish)
    assert done.wait(10)
    assert seen == ["watch-test"]
