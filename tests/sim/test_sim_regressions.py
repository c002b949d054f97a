"""Status regressions: accepted, but counted and recorded per dossier and in stats."""

from __future__ import annotations

import pytest

from gateway.sim import samples
from gateway.sim.transitions import is_regression


def move(sim_client, n, *statuses):
    sim_client.sync([samples.dossier(n, status=statuses[0])])
    for revision, status in enumerate(statuses[1:], start=1):
        answer = sim_client.sync([samples.dossier(n, status=status, revision=revision)], updating=True).json()
        assert answer["error_code"] == 0


def test_a_backward_status_move_is_accepted_but_counted(sim_client):
    move(sim_client, 1, "2", "4", "9", "4")
    truth = sim_client.truth(samples.ma_ho_so(1)).json()
    assert truth["current"]["TrangThaiHoSo"] == "4"
    assert truth["regressions"] == 1
    assert [(m["from"], m["to"]) for m in truth["regression_moves"]] == [("9", "4")]
    assert sim_client.stats()["regressions"] == 1


def test_a_cancelled_hand_over_10_to_2_is_a_regression(sim_client):
    move(sim_client, 2, "9", "10", "2")
    assert sim_client.truth(samples.ma_ho_so(2)).json()["regressions"] == 1


def test_forward_moves_and_loops_of_the_graph_are_not_regressions(sim_client):
    move(sim_client, 3, "1", "2", "4", "5", "4", "6", "4", "9", "10")
    move(sim_client, 4, "1", "4", "9")  # a forward skip
    assert sim_client.truth(samples.ma_ho_so(3)).json()["regressions"] == 0
    assert sim_client.truth(samples.ma_ho_so(4)).json()["regressions"] == 0
    assert sim_client.stats()["regressions"] == 0


def test_regressions_are_counted_per_dossier(sim_client):
    move(sim_client, 5, "4", "2", "4", "2")
    move(sim_client, 6, "4", "9")
    assert sim_client.truth(samples.ma_ho_so(5)).json()["regressions"] == 2
    assert sim_client.truth(samples.ma_ho_so(6)).json()["regressions"] == 0
    assert sim_client.stats()["regressions"] == 2


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("2", "1", True),  # back to "filed online"
        ("9", "4", True),  # decided, back into processing
        ("10", "2", True),  # hand-over cancelled
        ("8", "9", True),  # an end state reopened
        ("3", "4", True),
        ("4", "4", False),  # same status
        ("5", "4", False),  # supplement received: an edge of the graph
        ("6", "4", False),
        ("1", "9", False),  # forward skip
        ("2", "10", False),
        ("4", "3", False),
    ],
)
def test_is_regression_follows_the_documented_definition(old, new, expected):
    assert is_regression(old, new) is expected
