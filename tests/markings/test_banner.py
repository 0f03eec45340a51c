"""Banners and portion marks: examples from the issue, round trips, and refusals."""

from __future__ import annotations

import json

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


#: label tricks (held by the review; keep it so): each is refused as a banner
TRICKS = {
    "greek-nu-in-noforn": "SECRET//\u039dOFORN",
    "cyrillic-es-in-secret": "\u0405ECRET//REL TO USA, JPN",
    "long-s-in-secret": "\u017fECRET//REL TO USA, JPN",
    "dotless-i-in-hi": "H\u0131//REL TO JPN, USA",
    "kelvin-sign-in-kimitsu": "\u212aIMITSU//REL TO JPN, USA",
    "zero-width-space-in-level": "SEC\u200bRET//REL TO USA, JPN",
    "zero-width-joiner-in-nation": "SECRET//REL TO USA, J\u200dPN",
    "non-breaking-space-in-rel-to": "SECRET//REL\u00a0TO USA, JPN",
    "non-breaking-space-after-level": "SECRET\u00a0//REL TO USA, JPN",
    "narrow-no-break-space-in-top-secret": "TOP\u202fSECRET//REL TO USA, JPN",
    "full-width-level": "\uff33\uff25\uff23\uff32\uff25\uff34//REL TO USA, JPN",
    "full-width-nation": "SECRET//REL TO USA, \uff2a\uff30\uff2e",
    "long-s-in-compartment": "SECRET//FOREN\u017fICS//REL TO USA, JPN",
    "duplicate-rel-to": "SECRET//REL TO USA, JPN, USA",
    "two-rel-to-controls": "SECRET//REL TO USA/REL TO JPN",
    "unknown-nation": "SECRET//REL TO USA, GBR",
    "unknown-authority": "//GBR SECRET//REL TO GBR, USA",
}


@pytest.mark.parametrize("banner", list(TRICKS.values()), ids=list(TRICKS))
def test_label_tricks_are_refused(banner: str) -> None:
    with pytest.raises(LabelError):
        parse_banner(banner, CTX)


#: the same tricks in a JSON label (the fields an API client sends)
JSON_TRICKS: dict[str, dict[str, object]] = {
    "long-s-in-level": {"level": "\u017fecret"},
    "dotless-i-in-level": {"authority": "JPN", "level": "h\u0131", "rel_to": ["JPN", "USA"]},
    "kelvin-sign-in-level": {"authority": "JPN", "level": "\u212aIMITSU", "rel_to": ["JPN"]},
    "zero-width-space-in-level": {"level": "SEC\u200bRET"},
    "non-breaking-space-after-level": {"level": "SECRET\u00a0"},
    "full-width-level": {"level": "\uff33\uff25\uff23\uff32\uff25\uff34"},
    "greek-nu-in-nation": {"rel_to": ["USA", "JP\u039d"]},
    "zero-width-joiner-in-nation": {"rel_to": ["USA", "J\u200dPN"]},
    "non-breaking-space-in-nation": {"rel_to": ["USA", "\u00a0JPN"]},
    "full-width-authority": {"authority": "\uff35\uff33\uff21"},
    "cyrillic-in-agency": {"rel_to": ["USA", "JPN.NP\u0410"]},
    "long-s-in-compartment": {"compartments": ["FOREN\u017fICS"]},
    "dotless-i-in-originator": {"originator": "USA.DO\u0131"},
    "duplicate-rel-to": {"rel_to": ["USA", "JPN", "usa"]},
    "unknown-nation": {"rel_to": ["USA", "GBR"]},
}


@pytest.mark.parametrize("fields", list(JSON_TRICKS.values()), ids=list(JSON_TRICKS))
def test_label_tricks_are_refused_in_json(fields: dict[str, object]) -> None:
    data = {"authority": "USA", "level": "SECRET", "rel_to": ["USA", "JPN"], **fields}
    with pytest.raises(LabelError):
        parse_label(json.dumps(data), CTX)


@pytest.mark.parametrize(
    ("text", "banner"),
    [
        (
            '{"authority": "usa", "level": "secret", "rel_to": ["usa", "jpn"]}',
            "SECRET//REL TO USA, JPN",
        ),
        (
            '{"authority": " JPN", "level": "gokuhi ", "rel_to": [" jpn.npa", "USA"]}',
            "GOKUHI//REL TO JPN.NPA, USA",
        ),
        (
            '{"authority": "JPN", "level": "極秘", "compartments": ["forensics"], "noforn": true}',
            "GOKUHI//FORENSICS//NOFORN",
        ),
    ],
)
def test_spellings_of_one_label_are_that_label(text: str, banner: str) -> None:
    label = parse_label(text, CTX)
    assert render_banner(label, CTX) == banner
    assert label.authority.isupper() and label.level == label.level.strip()
