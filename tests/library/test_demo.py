"""The certified reference materials: recognised from their own values, told apart by 234U."""

from __future__ import annotations

import csv
import hashlib
import io
from importlib import resources

import numpy as np
import pytest

from nucsec.forensics.library.demo import demo_library
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.match import match
from nucsec.forensics.library.model import Measurement, Sample

DATA = resources.files("nucsec.data.library")
INDEX = LibraryIndex.build(demo_library())
CRMS = {e.id: e for e in demo_library()}


def test_copy_is_byte_identical_to_the_shared_file_recorded_in_provenance() -> None:
    raw = DATA.joinpath("uoc_crm_u_isotopics.csv").read_bytes()
    provenance = DATA.joinpath("PROVENANCE.md").read_text(encoding="utf-8")
    assert hashlib.sha256(raw).hexdigest() in provenance
    rows = list(csv.DictReader(io.StringIO(raw.decode())))
    assert [r["material"] for r in rows] == sorted(CRMS, reverse=True)


def test_entries_carry_k1_uncertainties_and_the_unverified_mark() -> None:
    lo = CRMS["UCLO-1"]
    u234 = lo.get("n(234U)/n(238U)")
    assert u234 is not None and u234.value == 0.5304e-4 and u234.u == pytest.approx(0.00035e-4)
    assert u234.status == "unverified"  # the shared notes say the exponent needs verifying
    assert lo.get("n(235U)/n(238U)").status == "certified"  # type: ignore[union-attr]
    assert "Zhang" in lo.provenance


def _measured(crm: str, names: tuple[str, ...], rng: np.random.Generator) -> Sample:
    """A laboratory re-measuring a CRM with its certified uncertainty (k=1)."""
    sigs = []
    for name in names:
        cert = CRMS[crm].get(name)
        assert cert is not None and isinstance(cert.value, float)
        sigs.append(Measurement(name, cert.value + rng.normal(0, cert.u), u=cert.u, unit="mol/mol"))
    return Sample(f"re-measured {crm}", "uoc", tuple(sigs))


@pytest.mark.parametrize(("crm", "other"), [("UCLO-1", "UCHI-1"), ("UCHI-1", "UCLO-1")])
def test_each_crm_is_recognised_and_the_other_excluded(crm: str, other: str) -> None:
    rng = np.random.default_rng(7)
    both = ("n(234U)/n(238U)", "n(235U)/n(238U)")
    for _ in range(50):
        r = match(INDEX, _measured(crm, both, rng))
        assert [c.entry for c in r.candidates] == [crm]
        assert r.conclusion == "consistent"
        assert [(e.entry, e.by) for e in r.excluded()] == [(other, "n(234U)/n(238U)")]
        assert "entry value unverified" in r.excluded()[0].reason


def test_235u_alone_cannot_tell_them_apart_and_says_what_would() -> None:
    r = match(INDEX, _measured("UCLO-1", ("n(235U)/n(238U)",), np.random.default_rng(8)))
    assert {c.entry for c in r.candidates} == {"UCLO-1", "UCHI-1"}
    assert r.n_excluded == 0
    assert r.next_measurement is not None
    assert r.next_measurement.name == "n(234U)/n(238U)"
    assert r.next_measurement.separation > 0.99
