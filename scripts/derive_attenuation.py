"""Write ``line_attenuation.csv``: attenuation coefficients at the isotopics' line energies.

Build-time script, not imported at run time (the analysis reads the CSV, so it needs
neither ``xraydb`` nor its database at run time). Run it by hand when the line tables of
``nucsec.forensics.spectra.isolines`` or ``attenuation.py`` change::

    .venv/bin/python scripts/derive_attenuation.py

A test checks every value against ``attenuation.mass_attenuation_cm2_g``.
"""

from __future__ import annotations

import csv
from pathlib import Path

from nucsec.forensics.spectra import isolines as il
from nucsec.forensics.spectra.attenuation import mass_attenuation_cm2_g

HERE = Path(__file__).resolve().parents[1] / "src" / "nucsec" / "data" / "isotopics"
MATERIALS = ("U", "Pu", "Fe", "Pb")


def main() -> None:
    energies = sorted({line.energy_kev for line in il.URANIUM_LINES + il.PLUTONIUM_LINES})
    with open(HERE / "line_attenuation.csv", "w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh, lineterminator="\n")
        out.writerow(["energy_kev", *(f"{m}_cm2_g" for m in MATERIALS)])
        for e in energies:
            out.writerow(
                [f"{e:g}", *(f"{float(mass_attenuation_cm2_g(m, e)):.8g}" for m in MATERIALS)]
            )


if __name__ == "__main__":
    main()
