"""Field paths find values in record trees the way the mapping language documents."""

from __future__ import annotations

import pytest

from gateway.mapping.paths import AmbiguousPath, PathSyntaxError, parse_path, resolve

TREE = {
    "code": "X",
    "applicant": {"identity": {"kind": "CCCD", "number": "091203004567"}},
    "fees": [{"paidVia": "CASH"}, {"paidVia": "NATIONAL_PORTAL"}],
    "LinhVuc": {"@Ma": "G13", "#text": "Xây dựng"},
    "single": {"Khoan": {"@Ma": "LP01"}},
}


def test_dotted_path_reads_a_nested_value() -> None:
    assert resolve(parse_path("applicant.identity.kind"), TREE, TREE) == "CCCD"


def test_missing_step_yields_none() -> None:
    assert resolve(parse_path("applicant.address.street"), TREE, TREE) is None


def test_fan_out_collects_every_match() -> None:
    assert resolve(parse_path("fees[*].paidVia"), TREE, TREE) == ["CASH", "NATIONAL_PORTAL"]


def test_fan_out_over_a_single_xml_child_treats_it_as_a_list_of_one() -> None:
    assert resolve(parse_path("single.Khoan[*].@Ma"), TREE, TREE) == ["LP01"]


def test_leading_slash_reads_from_the_record_root_inside_an_item() -> None:
    assert resolve(parse_path("/code"), {"paidVia": "CASH"}, TREE) == "X"


def test_attribute_step_reads_an_xml_attribute() -> None:
    assert resolve(parse_path("LinhVuc.@Ma"), TREE, TREE) == "G13"


def test_a_plain_path_through_several_values_is_ambiguous() -> None:
    with pytest.raises(AmbiguousPath, match=r"use \[\*\]"):
        resolve(parse_path("fees.paidVia"), TREE, TREE)


@pytest.mark.parametrize("text", ["", "a..b", "a[1].b", "a[*"])
def test_malformed_paths_are_refused(text: str) -> None:
    with pytest.raises(PathSyntaxError):
        parse_path(text)
