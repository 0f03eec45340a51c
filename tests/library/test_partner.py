"""The partner answer carries the conclusion and per-signature verdicts, nothing else."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from nucsec.forensics.library.errors import LibraryError
from nucsec.forensics.library.index import LibraryIndex
from nucsec.forensics.library.parse import sample_from_dict
from nucsec.forensics.library.partner import PartnerAnswer, answer_for_partner
from nucsec.forensics.library.synthetic import (
    draw_sample,
    generate_library,
    novel_sample,
    to_entries,
)
from tests.library.test_match import ENTRIES, INDEX, U234_A, U235, _match


def test_the_answer_type_has_no_room_for_library_content() -> None:
    assert [f.name for f in dataclasses.fields(PartnerAnswer)] == [
        "conclusion",
        "false_exclusion_rate",
        "signatures",
    ]
    with pytest.raises(LibraryError):
        PartnerAnswer("consistent", 0.01, (("MILL-A", "consistent"),))  # not a signature name
    with pytest.raises(LibraryError):
        PartnerAnswer("consistent", 0.01, (("w(V)", "z = 1.2"),))
    with pytest.raises(LibraryError):
        PartnerAnswer("MILL-A", 0.01, ())


def _sample(*items: dict) -> object:  # type: ignore[type-arg]
    return sample_from_dict({"id": "Q", "material_type": "uoc", "signatures": list(items)})


def test_consistent_answer() -> None:
    answer = answer_for_partner(INDEX, _sample(U235, U234_A))  # type: ignore[arg-type]
    assert answer.to_dict() == {
        "conclusion": "consistent",
        "false_exclusion_rate": 0.01,
        "signatures": [
            {"name": "n(235U)/n(238U)", "verdict": "consistent"},
            {"name": "n(234U)/n(238U)", "verdict": "consistent"},
        ],
    }


def test_none_answer_says_which_signature_no_holding_matches() -> None:
    far = {**U234_A, "value": 9.0e-5}
    answer = answer_for_partner(INDEX, _sample(U235, far)).to_dict()  # type: ignore[arg-type]
    assert answer["conclusion"] == "none"
    assert answer["signatures"] == [
        {"name": "n(235U)/n(238U)", "verdict": "consistent"},
        {"name": "n(234U)/n(238U)", "verdict": "inconsistent"},
    ]
    assert _match(U235, far).conclusion == "none"


def test_nothing_of_the_library_appears_in_the_answer() -> None:
    secrets: set[str] = {e["id"] for e in ENTRIES}
    for entry in ENTRIES:
        for sig in entry["signatures"]:
            for key in ("value", "spread", "u", "below"):
                if isinstance(sig.get(key), float):
                    secrets |= {repr(sig[key]), f"{sig[key]:.6g}"}
    secrets = {s for s in secrets if len(s) >= 4}  # "3.0" as "3" would match any digit
    for items in (
        [U235, U234_A],
        [U235, {**U234_A, "value": 9.0e-5}],
        [U235],
        [{"name": "w(V)", "value": 1.0e4, "u": 10.0, "unit": "µg/g U"}],
    ):
        text = json.dumps(answer_for_partner(INDEX, _sample(*items)).to_dict())  # type: ignore[arg-type]
        queried = {repr(i["value"]) for i in items} | {repr(i["u"]) for i in items}
        leaked = {s for s in secrets - queried if s in text}
        assert not leaked, leaked


def test_synthetic_partner_answers_leak_no_entry_id() -> None:
    lib = generate_library(np.random.default_rng(41), 200)
    index = LibraryIndex.build(to_entries(lib))
    rng = np.random.default_rng(42)
    for sample in [draw_sample(rng, lib, 3), draw_sample(rng, lib, 150), novel_sample(rng)]:
        text = json.dumps(answer_for_partner(index, sample).to_dict(), ensure_ascii=False)
        assert "SYN-" not in text and "synthetic" not in text
