"""Every denial code has its sentence (the table of :mod:`nucsec.policy.reasons`)."""

from __future__ import annotations

from nucsec.policy import Denial
from nucsec.policy.reasons import SENTENCES, WITHOUT_LABEL


def test_every_denial_has_one_sentence() -> None:
    assert set(SENTENCES) | set(WITHOUT_LABEL) == set(Denial)
    assert not set(SENTENCES) & set(WITHOUT_LABEL)


def test_denial_codes_are_their_stored_strings() -> None:
    # audit events store the codes; the enum must keep their spelling
    assert [str(d) for d in Denial] == [d.value for d in Denial]
    assert Denial("orcon_release") is Denial.ORCON_RELEASE
