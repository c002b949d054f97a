"""Field paths find values in record trees the way the mapping language documents."""

from __future__ import annotations

import pytest

from gateway.mapping.paths import AmbiguousPath, PathSyntaxError, UnexpectedShape, parse_path, resolve

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


@pytest.mark.parametrize(
    ("applicant", "kind"),
    [(["x"], "a list"), ([None], "a list"), ([1, {"type": "citizen"}][:1], "a list"), (5, "a number"),
     (True, "a boolean"), ("citizen", "a string")],
)  # fmt: skip
def test_a_value_where_an_object_belongs_is_named_with_its_kind(applicant: object, kind: str) -> None:
    with pytest.raises(UnexpectedShape) as caught:
        resolve(parse_path("applicant.type"), {"applicant": applicant}, {})
    assert str(caught.value) == f"applicant: expected an object, got {kind}"


def test_a_list_holding_one_object_is_read_as_that_object() -> None:
    tree = {"applicant": [{"type": "citizen"}]}
    assert resolve(parse_path("applicant.type"), tree, tree) == "citizen"


def test_an_empty_list_where_an_object_belongs_has_no_value() -> None:
    assert resolve(parse_path("applicant.type"), {"applicant": []}, {}) is None


def test_an_element_holding_only_text_has_no_attributes() -> None:
    tree = {"LinhVuc": "Xây dựng"}
    assert resolve(parse_path("LinhVuc.@Ma"), tree, tree) is None
    assert resolve(parse_path("LinhVuc.#text"), tree, tree) == "Xây dựng"


def test_a_blank_element_has_no_children() -> None:
    tree = {"NguoiNop": "\n  "}
    assert resolve(parse_path("NguoiNop.HoTen"), tree, tree) is None


def test_an_item_that_is_not_an_object_is_named_the_item() -> None:
    with pytest.raises(UnexpectedShape, match=r"^the item: expected an object, got a number$"):
        resolve(parse_path("code"), 5, {})


def test_a_fan_out_over_items_of_the_wrong_kind_names_the_list() -> None:
    tree = {"fees": [{"paidVia": "CASH"}, 7]}
    with pytest.raises(UnexpectedShape, match=r"^fees\[\*\]: expected an object, got a number$"):
        resolve(parse_path("fees[*].paidVia"), tree, tree)


def test_a_fan_out_through_several_values_without_a_star_is_ambiguous() -> None:
    tree = {"LePhi": [{"Khoan": {"@Ma": "A"}}, {"Khoan": {"@Ma": "B"}}]}
    with pytest.raises(AmbiguousPath, match=r"use \[\*\]"):
        resolve(parse_path("LePhi.Khoan[*].@Ma"), tree, tree)
