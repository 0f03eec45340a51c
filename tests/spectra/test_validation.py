"""Validation over every shared spectrum with a truth (both collections of MANIFEST.md) and
the simulated cases of ``simcases.py``: recall of the expected nuclides or chains and
unexpected nuclides per spectrum, as a table (run with ``-s``).

Two ways of counting, both printed:

- **identified**: only ``status == "identified"`` counts as found or as unexpected;
- **reported**: every entry of ``nuclides`` counts, ``possible`` ones included (a nuclide seen
  through one ambiguous line is reported, with that caveat).

The issue's goals (recall >= 0.95, <= 0.5 unexpected per spectrum) are asserted on both
counts over all spectra: identified 117/123 = 0.951 and reported 118/123 = 0.959 when the
floor was raised to the goal (it was 0.93 at 116/123 before the split refit of poor multiplet
fits in ``roi.py``); see docs/spectra.md for which files miss and why. Enrichment against
its k=2 interval (shared uranium files and the simulator) is in ``test_isotopics.py``.
The rows are grouped by upstream source too, the unit of the leave-one-source-out check in
docs/spectra.md.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import cache

from simcases import CASES

from conftest import DATA, load_truth
from nucsec.forensics.spectra import SpectrumAnalysis, analyze, read_spectrum

TRUTH = load_truth()
REAL = sorted(name for name, t in TRUTH.items() if t.known)
RECALL_GOAL = 0.95
UNEXPECTED_GOAL = 0.5
IDENTIFIED_RECALL_FLOOR = RECALL_GOAL  # measured 0.951 (117/123); was 0.93 at 116/123


@dataclass(frozen=True)
class Row:
    name: str
    group: str
    detector: str
    expected: tuple[frozenset[str], ...]
    allowed: frozenset[str]
    identified: frozenset[str]
    possible: frozenset[str]

    def found(self, reported: bool) -> int:
        names = self.identified | self.possible if reported else self.identified
        return sum(bool(e & names) for e in self.expected)

    def unexpected(self, reported: bool) -> set[str]:
        names = self.identified | self.possible if reported else self.identified
        return set(names - self.allowed - set().union(*self.expected))


def _row(
    name: str,
    group: str,
    a: SpectrumAnalysis,
    expected: tuple[frozenset[str], ...],
    allowed: frozenset[str],
) -> Row:
    status = {n.name: n.extra.get("status", "identified") for n in a.nuclides}
    return Row(
        name,
        group,
        a.detector_type,
        expected,
        allowed,
        frozenset(k for k, v in status.items() if v == "identified"),
        frozenset(k for k, v in status.items() if v != "identified"),
    )


@cache
def rows() -> tuple[Row, ...]:
    out = []
    for name in REAL:
        sf = read_spectrum(DATA / name)
        a = analyze(sf.foreground(), background=sf.background())
        t = TRUTH[name]
        out.append(_row(name, name.split("_")[0], a, t.expected, t.allowed))
    for case in CASES:
        a = analyze(case.spectrum())
        out.append(_row("sim:" + case.name, "simulated", a, case.expected, case.allowed))
    return tuple(out)


def _score(selected: list[Row], reported: bool) -> tuple[int, int, int]:
    hits = sum(r.found(reported) for r in selected)
    total = sum(len(r.expected) for r in selected)
    unexpected = sum(len(r.unexpected(reported)) for r in selected)
    return hits, total, unexpected


def _table(all_rows: tuple[Row, ...]) -> str:
    lines = [
        f"{'file':52s} {'det':5s} {'expected':26s} {'identified':34s} {'possible':12s} "
        "missed / unexpected"
    ]
    for r in all_rows:
        expected = "; ".join("/".join(sorted(e)) for e in r.expected) or "-"
        missed = [("/".join(sorted(e))) for e in r.expected if not e & r.identified]
        lines.append(
            f"{r.name:52s} {r.detector:5s} {expected:26s} {', '.join(sorted(r.identified)):34s} "
            f"{', '.join(sorted(r.possible)) or '-':12s} missed {missed or '-'} / "
            f"unexpected {sorted(r.unexpected(False)) or '-'}"
        )
    groups: dict[str, list[Row]] = defaultdict(list)
    for r in all_rows:
        groups[r.group].append(r)
    groups["ALL real"] = [r for r in all_rows if r.group != "simulated"]
    groups["ALL"] = list(all_rows)
    for group, selected in groups.items():
        for reported in (False, True):
            hits, total, unexpected = _score(selected, reported)
            lines.append(
                f"{group:12s} {'reported' if reported else 'identified':10s} recall "
                f"{hits}/{total} = {hits / max(total, 1):.3f}; unexpected {unexpected} in "
                f"{len(selected)} = {unexpected / len(selected):.2f}/spectrum"
            )
    return "\n".join(lines)


def test_recall_and_unexpected_over_all_spectra() -> None:
    all_rows = rows()
    print("\n" + _table(all_rows))
    hits, total, unexpected = _score(list(all_rows), reported=True)
    assert hits / total >= RECALL_GOAL
    assert unexpected / len(all_rows) <= UNEXPECTED_GOAL
    hits, total, unexpected = _score(list(all_rows), reported=False)
    assert hits / total >= IDENTIFIED_RECALL_FLOOR
    assert unexpected / len(all_rows) <= UNEXPECTED_GOAL


def test_simulated_cases_reach_the_goal_identified() -> None:
    sims = [r for r in rows() if r.group == "simulated"]
    hits, total, unexpected = _score(sims, reported=False)
    assert hits / total >= RECALL_GOAL, f"{hits}/{total}"
    assert unexpected / len(sims) <= UNEXPECTED_GOAL


def test_every_nuclide_carries_a_status() -> None:
    sf = read_spectrum(DATA / "suro_rc101_co57_EG3X_3h.xml")
    result = analyze(sf.foreground(), background=sf.background()).to_dict()
    assert result["nuclides"]
    for n in result["nuclides"]:
        assert n["status"] in ("identified", "possible")
    co57 = next(n for n in result["nuclides"] if n["name"] == "Co-57")
    # one peak between 122 and 141 keV on a 256-channel CsI: Co-57 or Tc-99m
    assert co57["status"] == "possible" and co57["alternatives"]
