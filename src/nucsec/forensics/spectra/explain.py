"""Human explanations: which source explains each peak, and why each nuclide was named."""

from __future__ import annotations

from dataclasses import replace

from nucsec.forensics.spectra.identify import Identification
from nucsec.forensics.spectra.result import Peak

__all__ = ["explain", "label_peaks"]

# peaks that are not a nuclide's own line: (energy keV, label)
_EFFECTS = (
    (510.999, "annihilation"),
    (72.80, "Pb x-ray"),
    (74.97, "Pb x-ray"),
    (84.94, "Pb x-ray"),
    (87.30, "Pb x-ray"),
)
_CATEGORY_TEXT = {
    "SNM": "special nuclear material",
    "industrial": "industrial/calibration source",
    "medical": "medical radionuclide",
    "NORM": "naturally occurring",
    "activation": "activation product",
    "fission": "fission product",
}


def label_peaks(peaks: list[Peak], nuclides: list[Identification]) -> list[Peak]:
    """Attach to each peak the source whose line it matched, or a known effect."""
    labels: dict[int, str] = {}
    for n in nuclides:
        for m in n.matched:
            if m.peak is not None and m.peak not in labels:
                labels[m.peak] = f"{n.name} ({m.emitter} {m.energy_kev:.1f} keV)"
    strong = sorted(peaks, key=lambda p: -p.net_counts)[:10]
    out = []
    for i, p in enumerate(peaks):
        label = labels.get(i)
        if label is None:
            label = _effect(p, strong)
        out.append(replace(p, label=label))
    return out


def _effect(p: Peak, strong: list[Peak]) -> str | None:
    tol = max(0.5 * p.fwhm_kev, 0.4)
    for energy, name in _EFFECTS:
        if abs(p.energy_kev - energy) <= tol:
            return name
    for s in strong:
        if s.energy_kev > 1100 and abs(s.energy_kev - 510.999 - p.energy_kev) <= tol:
            return f"single escape of {s.energy_kev:.1f} keV"
        if s.energy_kev > 1100 and abs(s.energy_kev - 1021.998 - p.energy_kev) <= tol:
            return f"double escape of {s.energy_kev:.1f} keV"
    for a in strong:
        for b in strong:
            if (
                a.energy_kev <= b.energy_kev
                and abs(a.energy_kev + b.energy_kev - p.energy_kev) <= tol
            ):
                return f"sum of {a.energy_kev:.1f} and {b.energy_kev:.1f} keV"
    return None


def explain(ident: Identification) -> Identification:
    """Fill :attr:`Identification.explanation` with a sentence an analyst can check."""
    strongest = sorted(ident.matched, key=lambda m: -m.expected_counts)[:8]
    seen = ", ".join(
        f"{m.energy_kev:.1f} keV ({m.emitter})"
        for m in sorted(strongest, key=lambda m: m.energy_kev)
    )
    more = len(ident.matched) - 8
    text = f"{ident.name} ({_CATEGORY_TEXT.get(ident.category, ident.category)}): lines at {seen}"
    if more > 0:
        text += f" and {more} more"
    if ident.missing:
        worst = sorted(ident.missing, key=lambda m: -m.expected_counts / max(m.ld_counts, 1))[:5]
        miss = ", ".join(
            f"{m.energy_kev:.1f} keV (expected {m.expected_counts:.0f} counts, "
            f"limit {m.ld_counts:.0f})"
            for m in worst
        )
        low = all(m.energy_kev < 150 or m.kind == "xray" for m in ident.missing)
        why = (
            "plausible: low-energy lines are absorbed by shielding or the sample itself"
            if low
            else "not fully explained: check for shielding or a different source"
        )
        text += f". Expected but not seen: {miss} ({why})"
    else:
        text += ". Every line expected above the detection limit was seen"
    return replace(ident, explanation=text + ".")
