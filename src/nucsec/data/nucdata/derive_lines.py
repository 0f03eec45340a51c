"""Derive the compact gamma/x-ray line library shipped in this folder (build-time script).

Not imported at run time. Run it by hand when the reference data or the source list change::

    .venv/bin/python src/nucsec/data/nucdata/derive_lines.py ../shared/data/nucdata

It reads ``ensdf_gamma_lines.csv``, ``ensdf_xray_lines.csv`` and ``PhotoPeak.lis`` from the
given folder, the decay chains and half-lives from the ``radioactivedecay`` package
(ICRP-107 data), and writes ``sources.csv`` and ``lines.csv`` next to this file. See
PROVENANCE.md for what each step does.
"""

from __future__ import annotations

import csv
import math
import sys
from collections import defaultdict
from pathlib import Path

import radioactivedecay as rd

HERE = Path(__file__).parent

# source name, category, chain members in equilibrium (the source itself first), prior.
# prior: how often the source is met in practice (1 common, 0.5 uncommon, 0.25 rare).
SOURCES: list[tuple[str, str, list[str], float]] = [
    # special nuclear material and other actinides
    ("U-235", "SNM", ["U-235", "Th-231"], 1.0),
    ("U-238", "SNM", ["U-238", "Th-234", "Pa-234m", "Pa-234"], 1.0),
    ("U-233", "SNM", ["U-233"], 0.25),
    (
        "U-232",
        "SNM",
        ["U-232", "Th-228", "Ra-224", "Rn-220", "Po-216", "Pb-212", "Bi-212", "Tl-208", "Po-212"],
        0.25,
    ),
    ("Pu-239", "SNM", ["Pu-239"], 0.5),
    ("Pu-241", "SNM", ["Pu-241", "U-237"], 0.25),
    ("Np-237", "SNM", ["Np-237", "Pa-233"], 0.25),
    ("Am-241", "industrial", ["Am-241"], 1.0),
    ("Am-243", "SNM", ["Am-243", "Np-239"], 0.25),
    # industrial and calibration sources
    ("Cs-137", "industrial", ["Cs-137"], 1.0),
    ("Co-60", "industrial", ["Co-60"], 1.0),
    ("Ba-133", "industrial", ["Ba-133"], 1.0),
    ("Eu-152", "industrial", ["Eu-152"], 1.0),
    ("Eu-154", "industrial", ["Eu-154"], 0.5),
    ("Eu-155", "industrial", ["Eu-155"], 0.5),
    ("Ir-192", "industrial", ["Ir-192"], 1.0),
    ("Se-75", "industrial", ["Se-75"], 0.5),
    ("Na-22", "industrial", ["Na-22"], 1.0),
    ("Co-57", "industrial", ["Co-57"], 1.0),
    ("Cd-109", "industrial", ["Cd-109"], 0.5),
    ("Mn-54", "industrial", ["Mn-54"], 0.5),
    ("Zn-65", "industrial", ["Zn-65"], 0.5),
    ("Y-88", "industrial", ["Y-88"], 0.5),
    ("Bi-207", "industrial", ["Bi-207"], 0.5),
    ("Yb-169", "industrial", ["Yb-169"], 0.25),
    ("Ag-110m", "industrial", ["Ag-110m"], 0.25),
    ("Cs-134", "industrial", ["Cs-134"], 0.5),
    ("Sb-124", "industrial", ["Sb-124"], 0.25),
    # long-lived isomers (their ENSDF beta/EC data sets; the weak IT branches are not in the
    # export) and further calibration or gauge sources
    ("Ag-108m", "industrial", ["Ag-108m"], 0.5),
    ("Ho-166m", "industrial", ["Ho-166m"], 0.25),
    ("Co-56", "industrial", ["Co-56"], 0.25),
    ("Gd-153", "industrial", ["Gd-153"], 0.25),
    ("Ce-139", "industrial", ["Ce-139"], 0.25),
    ("Sn-113", "industrial", ["Sn-113"], 0.25),
    ("Sr-85", "industrial", ["Sr-85"], 0.25),
    ("Hg-203", "industrial", ["Hg-203"], 0.25),
    (
        "Th-228",
        "industrial",
        ["Th-228", "Ra-224", "Rn-220", "Po-216", "Pb-212", "Bi-212", "Tl-208", "Po-212"],
        0.25,
    ),
    ("Ra-226", "NORM", ["Ra-226", "Rn-222", "Po-218", "Pb-214", "Bi-214", "Po-214"], 1.0),
    # medical
    ("Tc-99m", "medical", ["Tc-99m"], 1.0),
    ("Mo-99", "medical", ["Mo-99", "Tc-99m"], 0.5),
    ("I-131", "medical", ["I-131"], 1.0),
    ("I-123", "medical", ["I-123"], 0.5),
    ("I-125", "medical", ["I-125"], 0.5),
    ("F-18", "medical", ["F-18"], 1.0),
    ("Ga-67", "medical", ["Ga-67"], 0.5),
    ("Ga-68", "medical", ["Ga-68"], 0.25),
    ("In-111", "medical", ["In-111"], 0.5),
    ("Tl-201", "medical", ["Tl-201"], 0.5),
    ("Xe-133", "medical", ["Xe-133"], 0.5),
    ("Lu-177", "medical", ["Lu-177"], 0.5),
    ("Sm-153", "medical", ["Sm-153"], 0.25),
    ("Cr-51", "medical", ["Cr-51"], 0.25),
    ("Pb-203", "medical", ["Pb-203"], 0.25),
    ("Ra-223", "medical", ["Ra-223", "Rn-219", "Po-215", "Pb-211", "Bi-211", "Tl-207"], 0.25),
    ("Ho-166", "medical", ["Ho-166"], 0.25),
    ("Re-186", "medical", ["Re-186"], 0.25),
    ("Re-188", "medical", ["Re-188"], 0.25),
    ("Cu-67", "medical", ["Cu-67"], 0.25),
    ("Zr-89", "medical", ["Zr-89"], 0.25),
    ("I-124", "medical", ["I-124"], 0.25),
    ("Rb-82", "medical", ["Rb-82"], 0.25),
    ("Sr-87m", "medical", ["Sr-87m"], 0.25),
    ("Xe-133m", "medical", ["Xe-133m"], 0.25),
    # naturally occurring radioactive material
    ("K-40", "NORM", ["K-40"], 1.0),
    (
        "Th-232",
        "NORM",
        [
            "Th-232",
            "Ra-228",
            "Ac-228",
            "Th-228",
            "Ra-224",
            "Rn-220",
            "Po-216",
            "Pb-212",
            "Bi-212",
            "Tl-208",
            "Po-212",
        ],
        1.0,
    ),
    ("Pb-210", "NORM", ["Pb-210"], 0.25),
    ("La-138", "NORM", ["La-138"], 0.25),
    ("Lu-176", "NORM", ["Lu-176"], 0.25),
    ("Be-7", "NORM", ["Be-7"], 0.25),
    # activation and fission products
    ("Co-58", "activation", ["Co-58"], 0.5),
    ("Fe-59", "activation", ["Fe-59"], 0.25),
    ("Na-24", "activation", ["Na-24"], 0.25),
    ("Sc-46", "activation", ["Sc-46"], 0.25),
    ("Sb-122", "activation", ["Sb-122"], 0.25),
    ("As-76", "activation", ["As-76"], 0.25),
    ("Cu-64", "activation", ["Cu-64"], 0.25),
    ("Ta-182", "activation", ["Ta-182"], 0.25),
    ("Mn-56", "activation", ["Mn-56"], 0.25),
    ("N-16", "activation", ["N-16"], 0.25),
    ("Al-28", "activation", ["Al-28"], 0.25),
    ("Mg-27", "activation", ["Mg-27"], 0.25),
    ("Cl-38", "activation", ["Cl-38"], 0.25),
    ("K-42", "activation", ["K-42"], 0.25),
    ("Ar-41", "activation", ["Ar-41"], 0.25),
    ("Au-198", "activation", ["Au-198"], 0.25),
    ("Br-82", "activation", ["Br-82"], 0.25),
    ("La-140", "activation", ["La-140"], 0.25),
    ("Ga-72", "activation", ["Ga-72"], 0.25),
    ("W-187", "activation", ["W-187"], 0.25),
    ("Hf-181", "activation", ["Hf-181"], 0.25),
    ("V-52", "activation", ["V-52"], 0.25),
    ("In-116m", "activation", ["In-116m"], 0.25),
    ("Dy-165", "activation", ["Dy-165"], 0.25),
    ("Rb-86", "activation", ["Rb-86"], 0.25),
    ("Te-123m", "activation", ["Te-123m"], 0.25),
    ("Zr-95", "fission", ["Zr-95", "Nb-95"], 0.25),
    ("Ru-103", "fission", ["Ru-103"], 0.25),
    ("Ru-106", "fission", ["Ru-106", "Rh-106"], 0.25),
    ("Ce-144", "fission", ["Ce-144", "Pr-144"], 0.25),
    ("Ba-140", "fission", ["Ba-140", "La-140"], 0.25),
    ("Sb-125", "fission", ["Sb-125"], 0.25),
    ("Ce-141", "fission", ["Ce-141"], 0.25),
    ("Te-132", "fission", ["Te-132", "I-132"], 0.25),
    ("I-133", "fission", ["I-133"], 0.25),
    ("Cs-136", "fission", ["Cs-136"], 0.25),
]

# Nuclides whose gamma lines the ENSDF export lacks (isomeric transitions: the export has no
# IT data sets): taken from PhotoPeak.lis. IT-only nuclides that PhotoPeak.lis lacks too
# (In-113m alone, Sn-117m, Hf-178m2, Ba-137m alone) are not in the library; Ba-137m and
# In-113m enter through their parents (Cs-137, Sn-113), whose ENSDF data sets include them.
FROM_PHOTOPEAK = {
    "Tc-99m": "Tc99m", "Sr-87m": "Sr87m", "Xe-133m": "Xe133m", "Te-123m": "Te123m",
}  # fmt: skip

# Annihilation photons (511 keV) per 100 decays: 2 x beta+ branch. Entered by hand from
# the DDEP/LNHB recommended beta+ intensities (not in the ENSDF export); unverified here.
ANNIHILATION_PCT = {
    "F-18": 193.5, "Na-22": 180.7, "Ga-68": 177.8, "Co-58": 29.9, "Cu-64": 35.0,
    "Zn-65": 2.8, "Y-88": 0.4, "Rb-82": 190.8, "Zr-89": 45.5, "I-124": 45.4, "Co-56": 39.2,
}  # fmt: skip

MIN_INTENSITY_PCT = 0.05  # lines weaker than this per source decay are dropped, unless
RELATIVE_KEEP = 0.02  # ... they reach this fraction of the source's strongest gamma line
MIN_ENERGY_KEV = 10.0


def equilibrium_factors(members: list[str]) -> dict[str, float]:
    """Activity of each member per unit activity of the chain head, at (transient) equilibrium.

    Walks the radioactivedecay chain from the head; a member's factor is the sum over paths
    of branching fraction x lambda_d / (lambda_d - lambda_p) (Bateman equilibrium).
    """
    head = members[0]
    wanted = set(members)
    lam = {m: math.log(2) / rd.Nuclide(m).half_life("s") for m in members}
    factors: dict[str, float] = defaultdict(float)
    factors[head] = 1.0
    stack = [(head, 1.0)]
    while stack:
        parent, f_parent = stack.pop()
        nuc = rd.Nuclide(parent)
        for daughter, bf in zip(nuc.progeny(), nuc.branching_fractions(), strict=True):
            if daughter not in wanted or bf <= 0:
                continue
            gain = lam[daughter] / (lam[daughter] - lam[head]) if lam[daughter] > lam[head] else 1.0
            f = f_parent * bf * gain
            factors[daughter] += f
            stack.append((daughter, f))
    return dict(factors)


def read_ensdf(folder: Path, members: set[str]) -> dict[str, list[tuple[float, float, str]]]:
    """Per member: (energy_kev, intensity_pct, kind) with duplicate placements removed."""
    out: dict[str, dict[tuple[str, float, str], float]] = defaultdict(dict)
    for name, kind in (("ensdf_gamma_lines.csv", "gamma"), ("ensdf_xray_lines.csv", "xray")):
        with open(folder / name, newline="") as fh:
            for row in csv.DictReader(fh):
                nuc = row["nuclide"]
                if nuc not in members or not row["intensity_pct"]:
                    continue
                key = (row["dataset_id"], round(float(row["energy_kev"]), 3), kind)
                out[nuc][key] = max(out[nuc].get(key, 0.0), float(row["intensity_pct"]))
    lines: dict[str, list[tuple[float, float, str]]] = {}
    for nuc, rows in out.items():
        lines[nuc] = [(e, i, k) for (_, e, k), i in rows.items()]
    return lines


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_photopeak(folder: Path, label: str) -> list[tuple[float, float, str]]:
    rows = []
    for line in (folder / "PhotoPeak.lis").read_text().splitlines():
        parts = line.split()
        # "Nuc de"/"Nuc se" rows are escape peaks, not photon lines (the third field is no
        # number there)
        if len(parts) >= 3 and parts[1] == label and _is_number(parts[2]):
            rows.append((float(parts[0]), float(parts[2]), "gamma"))
    return rows


def main(folder: Path) -> None:
    all_members = {m for _, _, members, _ in SOURCES for m in members}
    ensdf = read_ensdf(folder, all_members)
    for nuc, label in FROM_PHOTOPEAK.items():
        ensdf[nuc] = [r for r in ensdf.get(nuc, []) if r[2] == "xray"] + read_photopeak(
            folder, label
        )
    with open(HERE / "sources.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["source", "category", "half_life_s", "prior", "members"])
        for name, category, members, prior in SOURCES:
            half_life_s = rd.Nuclide(name).half_life("s")
            w.writerow([name, category, f"{half_life_s:.6g}", prior, " ".join(members)])
    with open(HERE / "lines.csv", "w", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["source", "emitter", "energy_kev", "intensity_pct", "kind"])
        for name, _, members, _ in SOURCES:
            factors = equilibrium_factors(members)
            rows: list[tuple[float, float, str, str]] = []
            for member in members:
                f = factors.get(member, 0.0)
                rows += [(e, i * f, k, member) for e, i, k in ensdf.get(member, [])]
            if name in ANNIHILATION_PCT:
                rows.append((510.999, ANNIHILATION_PCT[name], "annihilation", name))
            rows.sort()
            strongest = max((i for e, i, k, _ in rows if k == "gamma" and e >= 30), default=0.0)
            for e, i, k, member in rows:
                keep = i >= MIN_INTENSITY_PCT or (k == "gamma" and i >= RELATIVE_KEEP * strongest)
                if keep and e >= MIN_ENERGY_KEV and i > 0:
                    w.writerow([name, member, f"{e:.3f}", f"{i:.4g}", k])


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("../shared/data/nucdata"))
