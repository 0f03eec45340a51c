"""Banners are computed: roll-up of portion labels and its laws."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nucsec.markings import Label, LabelError, parse_banner, render_banner, rollup
from nucsec.policy import Resource, decide
from tests.strategies import CTX, labels, principals


def b(text: str) -> Label:
    return parse_banner(text, CTX)


@pytest.mark.parametrize(
    ("portions", "expected"),
    [
        (["SECRET//REL TO USA, JPN", "CONFIDENTIAL//NOFORN"], "SECRET//NOFORN"),
        (["SECRET//REL TO USA, JPN", "CONFIDENTIAL//REL TO USA, JPN"], "SECRET//REL TO USA, JPN"),
        (["SECRET//ORCON/REL TO USA, JPN", "UNCLASSIFIED"], "SECRET//ORCON/REL TO USA, JPN"),
        (
            ["SECRET//FORENSICS//REL TO USA, JPN", "SECRET//ITDB//REL TO USA, JPN"],
            "SECRET//FORENSICS/ITDB//REL TO USA, JPN",
        ),
        (["SECRET", "CONFIDENTIAL//REL TO USA, JPN"], "SECRET//REL TO USA"),
        (["UNCLASSIFIED", "UNCLASSIFIED"], "UNCLASSIFIED"),
        (["SECRET//REL TO USA, JPN.NPA", "SECRET//REL TO USA, JPN"], "SECRET//REL TO USA, JPN.NPA"),
        (["SECRET//REL TO USA.DOE, JPN", "SECRET//NOFORN"], "SECRET//REL TO USA.DOE"),
    ],
    ids=[
        "noforn-wins",
        "highest-level",
        "orcon-union",
        "compartment-union",
        "no-rel-to-stays-home",
        "public",
        "agency-narrows",
        "noforn-keeps-agencies",
    ],
)
def test_rollup_examples(portions, expected):
    assert render_banner(rollup([b(p) for p in portions], CTX), CTX) == expected


def test_rollup_refuses_mixed_authorities():
    with pytest.raises(LabelError) as err:
        rollup([b("SECRET//REL TO USA, JPN"), b("GOKUHI//REL TO JPN, USA")], CTX)
    assert err.value.field == "authority"


def test_rollup_refuses_empty():
    with pytest.raises(LabelError):
        rollup([], CTX)


#: drawing labels then filtering by authority is slow when other processes take the CPU:
#: how long generation takes says nothing about roll-up (the examples still all run)
LOADED = settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])

same_authority = st.sampled_from(sorted(CTX.nations)).flatmap(
    lambda n: st.lists(labels().filter(lambda lb: lb.authority == n), min_size=1, max_size=4)
)


def _rolled(parts: list[Label]) -> Label | None:
    try:
        return rollup(parts, CTX)
    except LabelError:
        return None


@LOADED
@given(same_authority)
def test_rollup_laws(parts: list[Label]):
    parts = [p.with_(originator=None) for p in parts]
    whole = _rolled(parts)
    assume(whole is not None)
    assert whole is not None
    whole.validate(CTX)
    assert whole.rank(CTX) == max(p.rank(CTX) for p in parts)
    nationals_only = whole.noforn or (
        whole.rel_to and all(e.startswith(whole.authority + ".") for e in whole.rel_to)
    )
    assert bool(nationals_only) or not any(p.noforn for p in parts)
    assert whole.noforn <= any(p.noforn for p in parts)
    assert whole.orcon == any(p.orcon for p in parts)
    assert whole.compartments == frozenset().union(*(p.compartments for p in parts))
    assert _rolled(list(reversed(parts))) == whole  # order does not matter
    assert rollup([whole, *parts], CTX) == whole  # idempotent


@LOADED
@given(same_authority, principals())
def test_whoever_reads_the_whole_reads_every_portion(parts: list[Label], principal):
    parts = [p.with_(originator=None) for p in parts]
    whole = _rolled(parts)
    assume(whole is not None)
    assert whole is not None
    if decide(principal, "read", Resource(whole), CTX).allowed:
        for part in parts:
            assert decide(principal, "read", Resource(part), CTX).allowed
