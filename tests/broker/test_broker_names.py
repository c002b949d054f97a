"""The names of the topology: pure functions of the prefix."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.broker import names

prefixes = st.from_regex(r"[a-z][a-z0-9_-]{0,15}", fullmatch=True)
delays = st.integers(min_value=1, max_value=7 * 24 * 3600)


@given(prefixes, delays)
def test_every_queue_and_the_exchange_are_named_under_the_prefix(prefix: str, delay: int) -> None:
    made = [
        names.exchange(prefix),
        names.sync_queue(prefix),
        names.retry_queue(prefix, delay),
        names.dead_queue(prefix),
        names.poison_queue(prefix),
    ]
    assert all(name.startswith(f"{prefix}.") for name in made)
    assert len(set(made)) == len(made)


@given(prefixes, delays)
def test_names_are_pure_functions_of_their_arguments(prefix: str, delay: int) -> None:
    assert names.retry_queue(prefix, delay) == names.retry_queue(prefix, delay)
    assert names.retry_queue(prefix, delay) == f"{prefix}.{names.retry_key(delay)}"


def test_the_default_prefix_gives_the_documented_names() -> None:
    assert names.exchange("dvc") == "dvc.dossiers"
    assert names.sync_queue("dvc") == "dvc.sync"
    assert names.dead_queue("dvc") == "dvc.dead"
    assert names.poison_queue("dvc") == "dvc.poison"
    assert names.retry_queue("dvc", 600) == "dvc.retry.10m"


@pytest.mark.parametrize(
    ("delay", "label"), [(1, "1s"), (10, "10s"), (60, "1m"), (90, "90s"), (600, "10m"), (7200, "2h")]
)
def test_a_retry_tier_is_labelled_in_its_largest_whole_unit(delay: int, label: str) -> None:
    assert names.retry_label(delay) == label
    assert names.retry_key(delay) == f"retry.{label}"


def test_a_retry_delay_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        names.retry_label(0)


@pytest.mark.parametrize(
    ("failure", "key"),
    [(1, "retry.10s"), (2, "retry.1m"), (3, "retry.10m"), (4, "retry.10m"), (50, "retry.10m")],
)
def test_the_nth_failure_waits_in_tier_n_minus_1_then_in_the_last_tier(failure: int, key: str) -> None:
    assert names.retry_key_for_failure(failure, (10, 60, 600)) == key


def test_failures_are_counted_from_one() -> None:
    with pytest.raises(ValueError, match="from 1"):
        names.retry_key_for_failure(0, (10, 60))
