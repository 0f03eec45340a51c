"""Radiochronometry: time per model age (GUM, 100,000-sample Monte Carlo) against solving the
same age by root-finding (Brent) over radioactivedecay's forward model, in the same run.

Goals (issue 7): GUM age <= 1 ms, Monte Carlo (1e5 samples) <= 50 ms. The baseline finds the
age alone (no uncertainty) with the same half-lives (our icrp107 set is radioactivedecay's
data); the note compares the two ages.
"""

from __future__ import annotations

import numpy as np
import radioactivedecay as rd
from scipy.optimize import brentq

from benchmarks._table import Table, best_time, fmt_s
from nucsec.forensics.chronometry import get_chronometer, load_half_life_set, model_age

CASES = [
    ("Th-230/U-234", 1.41148e-4, 7.06e-7),  # issue 7 example (50 y)
    ("Am-241/Pu-241", 0.75, 0.003),
    ("Ra-226/Th-230", 2.28e-4, 1.1e-6),  # second generation: numerical inverse
]


def _rd_age(name: str, ratio: float) -> float:
    chrono = get_chronometer(name)

    def ratio_at(t_y: float) -> float:
        n = rd.Inventory({chrono.chain[0]: 1.0}, "num").decay(t_y, "y").numbers()
        return float(n[chrono.numerator] / n[chrono.denominator])

    return float(brentq(lambda t: ratio_at(t) - ratio, 1e-6, 1e4, xtol=1e-10, rtol=1e-12))


def run() -> Table:
    table = Table("radiochronometry: time per model age")
    icrp = load_half_life_set("icrp107")  # radioactivedecay's own data: same half-lives
    for name, ratio, u in CASES:
        gum_s = best_time(
            lambda n=name, r=ratio, uu=u: model_age(n, r, uu, half_lives=icrp), repeat=5, number=200
        )
        mc_s = best_time(
            lambda n=name, r=ratio, uu=u: model_age(
                n, r, uu, half_lives=icrp, monte_carlo=100_000, rng=np.random.default_rng(1)
            ),
            repeat=5,
            number=1,
        )
        rd_s = best_time(lambda n=name, r=ratio: _rd_age(n, r), repeat=3, number=1)
        ours = model_age(name, ratio, u, half_lives=icrp).age_years
        theirs = _rd_age(name, ratio)
        agree = f"age {ours:.6f} y vs {theirs:.6f} y (rel {abs(ours / theirs - 1):.1e})"
        table.add(
            f"{name} GUM age",
            fmt_s(gum_s),
            "radioactivedecay + brentq",
            fmt_s(rd_s),
            "<= 1 ms",
            agree,
        )
        table.add(
            f"{name} Monte Carlo 1e5",
            fmt_s(mc_s),
            "radioactivedecay + brentq",
            fmt_s(rd_s),
            "<= 50 ms",
            "",
        )
    return table
