"""Banners and portion marks: examples from the issue, round trips, and refusals."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from nucsec.markings import (
    Label,
    LabelError,
    parse_banner,
    parse_label,
    parse_portion,
    render_banner,
    render_in,
    render_portion,
)
from tests.strategies import CTX, labels


@pytest.mark.parametrize(
    ("banner", "authority", "level", "rel_to", "noforn", "orcon", "compartments"),
    [
        ("SECRET//REL TO USA, JPN", "USA", "SECRET", {"USA", "JPN"}, False, False, set()),
        ("CONFIDENTIAL//NOFORN", "USA", "CONFIDENTIAL", set(), True, False, set()),
        ("SECRET//ORCON/REL TO USA, JPN", "USA", "SECRET", {"USA", "JPN"}, False, True, set()),
        ("UNCLASSIFIED", "USA", "UNCLASSIFIED", set(), False, False, set()),
        (
            "GOKUHI//FORENSICS//REL TO JPN, USA",
            "JPN",
            "GOKUHI",
            {"USA", "JPN"},
            False,
            False,
            {"FORENSICS"},
        ),
        ("極秘//REL TO JPN, USA.DOE", "JPN", "GOKUHI", {"JPN", "USA.DOE"}, False, False, set()),
        ("//JPN SECRET//REL TO USA, JPN", "JPN", "SECRET", {"USA", "JPN"}, False, False, set()),
    ],
    ids=[
        "rel-to",
        "noforn",
        "orcon",
        "unclassified",
        "japanese-compartment",
        "kanji-agency",
        "foreign-authority",
    ],
)
def test_parse_examples(banner, authority, level, rel_to, noforn, orcon, compartments):
    label = parse_banner(banner, CTX)
    assert (label.authority, label.level) == (authority, level)
    assert set(label.rel_to) == rel_to
    assert (label.noforn, label.orcon, set(label.compartments)) == (noforn, orcon, compartments)


@pytest.mark.parametrize(
    ("banner", "portion"),
    [
        ("SECRET//REL TO USA, JPN", "(S//REL TO USA, JPN)"),
        ("CONFIDENTIAL//NOFORN", "(C//NF)"),
        ("SECRET//ORCON/REL TO USA, JPN", "(S//OC/REL TO USA, JPN)"),
        ("UNCLASSIFIED", "(U)"),
    ],
)
def test_portion_marks(banner, portion):
    label = parse_banner(banner, CTX)
    assert render_banner(label, CTX) == banner
    assert render_portion(label, CTX) == portion
    assert parse_portion(portion, CTX) == label


@pytest.mark.parametrize(
    ("banner", "japanese"),
    [
        ("SECRET//REL TO USA, JPN", "極秘//REL TO USA, JPN"),
        ("TOP SECRET//NOFORN", "機密//NOFORN"),
        ("CONFIDENTIAL//REL TO USA, JPN", "秘//REL TO USA, JPN"),
    ],
)
def test_japanese_equivalent(banner, japanese):
    assert render_in(parse_banner(banner, CTX), CTX, "JPN", "ja") == japanese


def test_us_rendering_of_japanese_label():
    label = parse_banner("HI//REL TO JPN, USA", CTX)
    assert render_in(label, CTX, "USA", "en") == "CONFIDENTIAL//REL TO JPN, USA"


@pytest.mark.parametrize(
    ("banner", "field"),
    [
        ("SEKRET//REL TO USA, JPN", "level"),
        ("SECRET//REL TO USA, XYZ", "rel_to"),
        ("SECRET//NOFORN/REL TO USA, JPN", "noforn"),
        ("SECRET//REL TO JPN", "rel_to"),
        ("SECRET//REL TO USA, JPN.FBI", "rel_to"),
        ("SECRET//NOFRON", "compartments"),
        ("SECRET//REL TO USA, JPN//FORENSICS", "banner"),
        ("SECRET////NOFORN", "banner"),
        ("//XYZ SECRET", "authority"),
        ("SECRET//NOFORN/NOFORN", "banner"),
        ("", "banner"),
    ],
    ids=[
        "unknown-level",
        "unknown-nation",
        "noforn-with-rel-to",
        "rel-to-omits-authority",
        "unknown-agency",
        "unknown-marking",
        "compartment-after-dissem",
        "empty-segment",
        "unknown-authority",
        "duplicate-control",
        "empty",
    ],
)
def test_bad_banners_name_the_problem(banner, field):
    with pytest.raises(LabelError) as err:
        parse_banner(banner, CTX)
    assert err.value.field == field
    assert isinstance(err.value, ValueError)


def test_stored_label_needs_originator():
    label = parse_banner("SECRET//REL TO USA, JPN", CTX)
    with pytest.raises(LabelError) as err:
        label.validate(CTX, stored=True)
    assert err.value.field == "originator"
    label.with_(originator="USA.DOE").validate(CTX, stored=True)
    with pytest.raises(LabelError) as err:
        label.with_(originator="JPN.NPA").validate(CTX, stored=True)
    assert err.value.field == "originator"


def test_json_label_round_trip_and_unknown_field():
    label = parse_banner("SECRET//ORCON/REL TO USA, JPN", CTX).with_(
        originator="USA.DOE", legal_basis=CTX.default_basis, review_date="2035-01-01"
    )
    assert parse_label(label.to_json(), CTX) == label
    with pytest.raises(LabelError) as err:
        parse_label('{"authority": "USA", "level": "SECRET", "colour": "red"}', CTX)
    assert err.value.field == "colour"


@settings(max_examples=500)
@given(labels())
def test_parse_render_round_trip(label: Label):
    banner = render_banner(label, CTX)
    bare = label.with_(originator=None, legal_basis=None, review_date=None)
    assert parse_banner(banner, CTX) == bare
    assert parse_portion(render_portion(label, CTX), CTX) == bare


@settings(max_examples=300)
@given(labels(with_meta=True))
def test_json_round_trip(label: Label):
    assert Label.from_dict(label.to_dict()) == label
    assert parse_label(label.to_json(), CTX) == label
